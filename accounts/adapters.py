"""allauth customisation: sign-in recording, session start, re-authentication window."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.conf import settings

from .activity import sign_in_record
from .sessions import session_mark_signed_in, signed_in_within


class AccountAdapter(DefaultAccountAdapter):
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
