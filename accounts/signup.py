"""allauth's sign-up form, made to do the same work for a new and a taken email (target 18).

Lives apart from accounts.forms: allauth builds its own form on top of SignupDetailsForm, so
this module may import allauth.account.forms, and accounts.forms must not.
"""

import secrets

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django.db import transaction

SIGNUP_EMAIL_ATTR = "_ismartpay_signup_email"  # set on the request: "the flash is due"


class _Discard(Exception):
    pass


class SignupForm(AllauthSignupForm):
    def try_save(self, request):
        """A taken email creates nothing, but runs the very same account creation as a new
        one (password hash, user, details, email address) under a placeholder address, in a
        savepoint that is rolled back, so the answer's timing does not tell the two apart."""
        setattr(request, SIGNUP_EMAIL_ATTR, self.cleaned_data.get("email"))
        if self.account_already_exists:
            self._same_work_as_a_new_account(request)
        return super().try_save(request)

    def _same_work_as_a_new_account(self, request) -> None:
        real_email = self.cleaned_data["email"]
        self.cleaned_data["email"] = f"discarded-{secrets.token_hex(8)}@invalid"
        self.account_already_exists = False
        try:
            with transaction.atomic():
                self.save(request)
                raise _Discard
        except _Discard:
            pass
        finally:
            self.cleaned_data["email"] = real_email
            self.account_already_exists = True


# The address a borrower just confirmed or signed up with, for the sign-in and "Check your
# email" pages of this browser only (never shown to anyone else, never proof of anything).
LOGIN_EMAIL_KEY = "accounts_login_email"
PENDING_EMAIL_KEY = "accounts_pending_email"


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form with the email filled after confirming it in another browser."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        session = getattr(self.request, "session", None)
        email = session.get(LOGIN_EMAIL_KEY) if session is not None else None
        if email and not self.is_bound:
            self.fields["login"].initial = email
