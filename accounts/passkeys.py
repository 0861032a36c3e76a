"""Passkeys through django-otp-webauthn, wired into our second-factor rules.

Its JSON ceremony views are mounted under /account/passkeys/ (namespace "otp_webauthn"), two of
them subclassed: registration needs a recent sign-in and goes through second_factor.py;
authentication (as the second step) rotates the session key like a typed code does.
"""

from django.conf import settings
from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from .second_factor import passkey_registered
from .sessions import signed_in_within
from .views.security import stash_recovery_codes


class ReauthenticationNeeded(exceptions.OTPWebAuthnApiError):
    status_code = 403
    code = "reauthentication_required"
    default_detail = "For your security, sign in again before adding a passkey."


class RecentSignInMixin:
    def check_can_register(self):
        if not signed_in_within(self.request, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT):
            raise ReauthenticationNeeded()


class PasskeyRegistrationBeginView(RecentSignInMixin, BeginCredentialRegistrationView):
    pass


class PasskeyRegistrationCompleteView(RecentSignInMixin, CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            codes = passkey_registered(request=self.request, user=self.request.user)
            if codes:
                stash_recovery_codes(self.request, codes)
        return response


class PasskeyAuthenticationCompleteView(CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        super().complete_auth(device)
        self.request.session.cycle_key()


urlpatterns = [
    path(
        "registration/begin/",
        PasskeyRegistrationBeginView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        PasskeyRegistrationCompleteView.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        BeginCredentialAuthenticationView.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        PasskeyAuthenticationCompleteView.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
