"""allauth customisation: sign-in recording, session start, re-authentication window, and a
sign-up that answers a new and a taken email alike (same flash, same mail work, same time)."""

import logging
from functools import partial

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.urls import reverse

from .activity import activity_record, sign_in_record
from .models import AccountEvent
from .sessions import session_mark_signed_in, signed_in_within
from .signup import LOGIN_EMAIL_KEY, PENDING_EMAIL_KEY, SIGNUP_EMAIL_ATTR
from .tasks import send_account_email

logger = logging.getLogger("ismartpay.accounts")


def _hand_to_worker(kwargs: dict, shown: str) -> None:
    """Queue the mail for the worker without retrying; if the broker cannot take it, send it
    from here rather than lose it (a confirmation link must arrive). Never raises into the
    request that committed."""
    try:
        send_account_email.apply_async(kwargs=kwargs, kwargsrepr=shown, retry=False)
    except Exception as exc:
        logger.warning(
            "broker unreachable (%s): account mail sent in the request", type(exc).__name__
        )
        send_account_email.run(**kwargs)


# Sign-up's two possible mails (new address / taken address): rendered in the request, sent by
# a Celery task after commit, so neither answer waits for the mail server.
SIGNUP_MAIL_TEMPLATES = {
    "account/email/email_confirmation_signup",
    "account/email/account_already_exists",
}
VERIFICATION_SENT_MESSAGE = "account/messages/email_confirmation_sent.txt"


# allauth's notification mails, one per password or email change: each is also recorded on
# the "Recent activity" page (allauth calls this hook whatever the flow, web or headless).
NOTIFICATION_EVENTS = {
    "account/email/password_changed": AccountEvent.Kind.PASSWORD_CHANGED,
    "account/email/password_set": AccountEvent.Kind.PASSWORD_CHANGED,
    "account/email/password_reset": AccountEvent.Kind.PASSWORD_RESET,
    "account/email/email_changed": AccountEvent.Kind.EMAIL_PRIMARY,
    "account/email/email_deleted": AccountEvent.Kind.EMAIL_REMOVED,
}


class AccountAdapter(DefaultAccountAdapter):
    def send_notification_mail(self, template_prefix, user, context=None, email=None):
        kind = NOTIFICATION_EVENTS.get(template_prefix)
        if kind is not None:
            ctx = context or {}
            detail = ctx.get("deleted_email") or ctx.get("to_email") or ""
            activity_record(user=user, kind=kind, detail=detail)
        return super().send_notification_mail(template_prefix, user, context, email)

    def confirm_email(self, request, email_address):
        confirmed = super().confirm_email(request, email_address)
        user = email_address.user
        # A second address confirmed (the sign-up address is not an "added" one).
        if confirmed and user.emailaddress_set.count() > 1:
            activity_record(
                user=user, kind=AccountEvent.Kind.EMAIL_ADDED, detail=email_address.email
            )
        return confirmed

    def get_login_redirect_url(self, request) -> str:
        # Staff signing in without ?next= go to the staff pages (the admin asks the second
        # factor), not the borrower's "No loans linked yet".
        if request.user.is_staff:
            return reverse("admin:index")
        return super().get_login_redirect_url(request)

    def login(self, request, user):
        super().login(request, user)  # Django's login(): a new session key
        session_mark_signed_in(request)
        sign_in_record(request, user)

    def add_message(
        self,
        request,
        level,
        message_template=None,
        message_context=None,
        extra_tags="",
        message=None,
    ):
        # "Signed in" would be premature while the security code is still to come.
        user = getattr(request, "user", None)
        if message_template == VERIFICATION_SENT_MESSAGE and (message_context or {}).get("signup"):
            return  # sign-up adds it itself, whether or not a mail went (see below)
        if message_template == "account/messages/logged_in.txt" and getattr(
            user, "has_second_factor", False
        ):
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # A password sign-in within the window counts, like an explicit re-authentication.
        request = context.request
        timeout = settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
        return request is None or not signed_in_within(request, timeout)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        if template_prefix not in SIGNUP_MAIL_TEMPLATES:
            return super().send_mail(template_prefix, email, context)
        request = globals()["context"].request
        msg = self.render_mail(
            template_prefix, email, {"request": request, "email": email, **context}
        )
        html = next(
            (content for content, mime in getattr(msg, "alternatives", []) if mime == "text/html"),
            "",
        )
        kwargs = {
            "subject": msg.subject,
            "body": msg.body,
            "from_email": msg.from_email,
            "to": msg.to,
            "html": html,
        }
        # The body holds a one-time link (confirmation, reset): the worker's and any monitor's
        # logs show the subject only (Celery's kwargsrepr), never the link.
        shown = repr({"subject": msg.subject, "to": "[redacted]", "body": "[redacted]"})
        transaction.on_commit(partial(_hand_to_worker, kwargs, shown), robust=True)

    def get_email_verification_redirect_url(self, email_address) -> str:
        # Confirmed in a browser that is not the one that signed up (so not signed in by
        # ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION): sign-in, with the address filled.
        if self.request.user.is_authenticated:
            return super().get_email_verification_redirect_url(email_address)
        self.request.session[LOGIN_EMAIL_KEY] = email_address.email
        messages.success(self.request, "Your email is confirmed. Sign in to continue.")
        return reverse("account_login")

    def respond_email_verification_sent(self, request, user):
        # The same flash after every sign-up: new address, taken address, or a repeat whose
        # mail the per-address limit held back.
        email = getattr(request, SIGNUP_EMAIL_ATTR, None)
        if email:
            request.session[PENDING_EMAIL_KEY] = email  # "Send the link again" on this browser
            super().add_message(
                request, messages.INFO, VERIFICATION_SENT_MESSAGE, {"email": email, "signup": True}
            )
        return super().respond_email_verification_sent(request, user)
