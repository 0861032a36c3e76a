"""Account security on every request: the second-factor gate and session lifetimes.

Install after django-otp's OTPMiddleware and Django's MessageMiddleware.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from .activity import device_cookie_set
from .device_check import device_checked, device_if_unchanged, device_read
from .sessions import (
    SIGNED_IN_MARKER_COOKIE,
    remembered_device_id,
    session_is_past_absolute_age,
    session_touch_if_due,
)

# Reachable with a password but no code yet: the code page itself and a way out.
OTP_EXEMPT_URL_NAMES = {"accounts_otp_verify", "account_logout", "healthz", "help", "privacy"}
# The passkey ceremony that *is* the second step (django-otp-webauthn's JSON views).
PASSKEY_STEP_URL_NAMES = {
    "credential-authentication-begin",
    "credential-authentication-complete",
    "js-i18n-catalog",
}
ADMIN_NAMESPACE = "admin"


def _signed_out_note(last_seen: str) -> str:
    """Why a browser that was signed in no longer is: the idle timeout only when the last
    signed-in request was that long ago (else: signed out elsewhere, password changed, …)."""
    try:
        idle = time.time() - int(last_seen)
    except ValueError:
        idle = 0
    if idle >= settings.SESSION_COOKIE_AGE:
        minutes = settings.SESSION_COOKIE_AGE // 60
        return (
            f"You were signed out after {minutes} minutes without activity, to keep your "
            "account safe. Please sign in again."
        )
    return "You were signed out. Please sign in again."


def _redirect_with_next(url_name: str, request):
    query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
    return redirect(f"{reverse(url_name)}?{query}")


class SecondFactorMiddleware(OTPMiddleware):
    """django-otp's OTPMiddleware, reading the session's device row once per session and
    without its secret (accounts/device_check.py): a removed or unconfirmed device still
    stops counting at once. Code checks load the whole device themselves (second_factor.py).
    """

    def _verify_user_sync(self, request, user):
        self._init_user_fields(user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if not (user.is_authenticated and persistent_id):
            return user
        device = device_if_unchanged(request.session, user, persistent_id)
        if device is None:
            device = self._finalize_device(request, user, device_read(persistent_id))
            if device is not None:
                device_checked(request.session, user, device)
        user.otp_device = device
        return user


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated and SIGNED_IN_MARKER_COOKIE in request.COOKIES:
            messages.info(request, _signed_out_note(request.COOKIES[SIGNED_IN_MARKER_COOKIE]))
        response = self.get_response(request)
        return self._finish(request, response)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        if session_is_past_absolute_age(request):
            logout(request)
            messages.info(
                request,
                "For your security you are signed out after 12 hours. Please sign in again.",
            )
            return redirect_to_login(request.get_full_path())
        if user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and (
            match.url_name in OTP_EXEMPT_URL_NAMES
            or ("otp_webauthn" in match.namespaces and match.url_name in PASSKEY_STEP_URL_NAMES)
        ):
            return None
        if user.has_second_factor:
            # Staff always type a code: a remembered device is for borrowers only.
            device_id = None if user.is_staff else remembered_device_id(request, user)
            device = Device.from_persistent_id(device_id) if device_id else None
            if device is not None and device.user_id == user.pk and device.confirmed:
                otp_login(request, device)
                return None
            return _redirect_with_next("accounts_otp_verify", request)
        if user.is_staff and match is not None and ADMIN_NAMESPACE in match.namespaces:
            messages.info(request, "Staff need a second sign-in step to use the admin. Set it up.")
            return _redirect_with_next("accounts_totp_setup", request)
        return None

    def _finish(self, request, response):
        signed_in = request.user.is_authenticated
        if signed_in:  # the time of this request: "signed out after 30 minutes" only if so
            response.set_cookie(
                SIGNED_IN_MARKER_COOKIE,
                str(int(time.time())),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        elif not signed_in and SIGNED_IN_MARKER_COOKIE in request.COOKIES:
            response.delete_cookie(SIGNED_IN_MARKER_COOKIE, samesite="Lax")
        device_cookie_set(request, response)
        if response.status_code < 500:
            session_touch_if_due(request)
        return response
