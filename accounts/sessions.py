"""Session rules: absolute lifetime, ending other sessions, recent sign-in, remembered devices."""

import time

from allauth.account.internal.flows.login import get_authentication_records
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import User
from .models.user import new_session_stamp

SIGNED_IN_AT_KEY = "accounts_signed_in_at"  # Unix time of the sign-in (absolute lifetime)
REMEMBER_COOKIE = "ismp_otp_remember"
REMEMBER_SALT = "accounts.remember-device"
SIGNED_IN_MARKER_COOKIE = "ismp_signed_in"  # no secret: lets us say "you were signed out"
TOUCHED_AT_KEY = "accounts_touched_at"  # Unix time the session row's expiry was last pushed on
# Seconds. The idle timer (SESSION_COOKIE_AGE) restarts when the session is saved; saving it at
# most once a minute instead of on every request spares a database write per page view. The
# idle timeout stays at most 30 minutes after the last request (it can end up to 60 s sooner).
SESSION_TOUCH_INTERVAL = 60


def session_absolute_age() -> int:
    return settings.ACCOUNTS_SESSION_ABSOLUTE_AGE


def session_mark_signed_in(request: HttpRequest) -> None:
    request.session[SIGNED_IN_AT_KEY] = time.time()


def session_is_past_absolute_age(request: HttpRequest) -> bool:
    """True once a session is older than the absolute lifetime; stamps unstamped sessions."""
    started = request.session.get(SIGNED_IN_AT_KEY)
    if started is None:
        session_mark_signed_in(request)
        return False
    return time.time() - started > session_absolute_age()


def session_touch_if_due(request: HttpRequest) -> None:
    """Restart the idle timer of a signed-in session if it was last saved a minute or more ago
    (or is being saved anyway): marking it modified makes SessionMiddleware save it."""
    session = getattr(request, "session", None)
    if session is None or not request.user.is_authenticated:
        return
    now = time.time()
    if session.modified or now - session.get(TOUCHED_AT_KEY, 0) >= SESSION_TOUCH_INTERVAL:
        session[TOUCHED_AT_KEY] = now


def sessions_end_others(request: HttpRequest, user: User) -> None:
    """Sign out every other session of `user` (and forget remembered devices); keep this one."""
    user.session_stamp = new_session_stamp()
    user.save(update_fields=["session_stamp"])
    if request.user.is_authenticated and request.user.pk == user.pk:
        update_session_auth_hash(request, user)


def signed_in_within(request: HttpRequest, seconds: int) -> bool:
    """Did the user enter a password (sign-in or re-authentication) in the last `seconds`?"""
    if not request.user.is_authenticated:
        return False
    records = get_authentication_records(request, request.user)
    return any(time.time() - r.get("at", 0) < seconds for r in records)


def _remember_fingerprint(user: User) -> str:
    # Bound to the session hash: a password change or "sign out everywhere" revokes it.
    return salted_hmac(REMEMBER_SALT, user.get_session_auth_hash()).hexdigest()[:32]


def remember_cookie_set(response: HttpResponse, user: User, device_persistent_id: str) -> None:
    value = signing.dumps(
        {"u": user.pk, "d": device_persistent_id, "f": _remember_fingerprint(user)},
        salt=REMEMBER_SALT,
        compress=True,
    )
    response.set_cookie(
        REMEMBER_COOKIE,
        value,
        max_age=settings.ACCOUNTS_REMEMBER_DEVICE_DAYS * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def remembered_device_id(request: HttpRequest, user: User) -> str | None:
    """The persistent id of the device this browser was told to remember for `user`, if valid."""
    raw = request.COOKIES.get(REMEMBER_COOKIE)
    if not raw:
        return None
    try:
        data = signing.loads(
            raw, salt=REMEMBER_SALT, max_age=settings.ACCOUNTS_REMEMBER_DEVICE_DAYS * 24 * 3600
        )
    except signing.BadSignature:
        return None
    if data.get("u") != user.pk or not constant_time_compare(
        data.get("f", ""), _remember_fingerprint(user)
    ):
        return None
    return data.get("d")
