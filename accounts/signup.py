"""allauth's sign-up form, made to do the same work for a new and a taken email (target 18).

Lives apart from accounts.forms: allauth builds its own form on top of SignupDetailsForm, so
this module may import allauth.account.forms, and accounts.forms must not.
"""

import secrets

from allauth.account.forms import SignupForm as AllauthSignupForm
from django.contrib.auth.hashers import make_password
from django.db import transaction

SIGNUP_EMAIL_ATTR = "_ismartpay_signup_email"  # set on the request: "the flash is due"


class SignupForm(AllauthSignupForm):
    def try_save(self, request):
        """A taken email creates nothing, but hashes the password and writes the same rows as
        a new account (rolled back), so the answer's timing does not tell the two apart."""
        setattr(request, SIGNUP_EMAIL_ATTR, self.cleaned_data.get("email"))
        if self.account_already_exists:
            _same_work_as_a_new_account(self.cleaned_data.get("password1") or "")
        return super().try_save(request)


class _Discard(Exception):
    pass


def _same_work_as_a_new_account(password: str) -> None:
    """Mirror a new account's cost: one password hash and the user + email-address inserts,
    inside a savepoint that is always rolled back."""
    from allauth.account.models import EmailAddress

    from .models import User

    encoded = make_password(password)
    try:
        with transaction.atomic():
            email = f"discarded-{secrets.token_hex(8)}@invalid"
            user = User.objects.create(email=email, password=encoded)
            user.save(update_fields=["full_name", "phone"])
            EmailAddress.objects.create(user=user, email=user.email, primary=True)
            raise _Discard
    except _Discard:
        pass
