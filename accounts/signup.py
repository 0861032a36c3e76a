"""allauth's sign-up form, made to do the same work for a new and a taken email (target 18).

Lives apart from accounts.forms: allauth builds its own form on top of SignupDetailsForm, so
this module may import allauth.account.forms, and accounts.forms must not.
"""

import secrets

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
