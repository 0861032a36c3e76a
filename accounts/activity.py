"""The "Recent activity" page's records: sign-ins (with the new-device notice) and every
security or money-authority event, each written by `activity_record` in the service that made
the change."""

import hashlib
import secrets

from allauth.account.adapter import get_adapter
from django.http import HttpRequest, HttpResponse

from .emails import security_notice_send
from .models import AccountEvent, SignInEvent, User
from .user_agents import describe_user_agent

DEVICE_COOKIE = "ismp_device"
DEVICE_COOKIE_AGE = 400 * 24 * 3600  # browsers cap cookies at 400 days


def _device_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def activity_record(*, user: User | None, kind: str, detail: str = "") -> AccountEvent | None:
    """Record one security or money-authority event (AccountEvent.Kind) on `user`'s account.
    Call it inside the change's transaction. Nothing is recorded without a user (guests)."""
    if user is None or user.pk is None:
        return None
    return AccountEvent.objects.create(user=user, kind=AccountEvent.Kind(kind), detail=detail[:200])


def sign_in_record(request: HttpRequest, user: User) -> SignInEvent:
    """Store one sign-in; email the user when it comes from a browser not seen before."""
    adapter = get_adapter(request)
    token = request.COOKIES.get(DEVICE_COOKIE) or ""
    if len(token) < 20:
        token = secrets.token_urlsafe(24)
    request.accounts_device_cookie = token  # set on the response by the middleware
    device_hash = _device_hash(token)
    seen_before = user.sign_in_events.filter(device_hash=device_hash).exists()
    first_ever = not user.sign_in_events.exists()
    user_agent = adapter.get_http_user_agent(request)[:300]
    event = SignInEvent.objects.create(
        user=user,
        ip=adapter.get_client_ip(request),
        user_agent=user_agent,
        device_label=describe_user_agent(user_agent),
        device_hash=device_hash,
        new_device=not seen_before and not first_ever,
    )
    if event.new_device:
        activity_record(user=user, kind=AccountEvent.Kind.NEW_DEVICE, detail=event.device_label)
        security_notice_send(request, user, "new_device_sign_in", event=event)
    return event


def device_cookie_set(request: HttpRequest, response: HttpResponse) -> None:
    from django.conf import settings

    token = getattr(request, "accounts_device_cookie", None)
    if token:
        response.set_cookie(
            DEVICE_COOKIE,
            token,
            max_age=DEVICE_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
