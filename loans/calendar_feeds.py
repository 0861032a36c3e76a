"""The private calendar-feed token: one per user, stored as its SHA-256 digest only, so the
feed URL can be rotated or revoked and the database never holds a working token."""

import hashlib
import secrets

from .models import CalendarFeed


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_rotate(*, user) -> str:
    """Create (or replace) the user's private feed token; the old URL stops working at once.

    Returns the new token: it is shown once and only its SHA-256 is stored.
    """
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(user=user, defaults={"token_sha256": _digest(token)})
    return token


def calendar_feed_revoke(*, user) -> None:
    CalendarFeed.objects.filter(user=user).delete()


def calendar_feed_owner(token: str):
    """The user whose feed `token` opens, or None (looked up by hash, never by the token)."""
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_sha256=_digest(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user
