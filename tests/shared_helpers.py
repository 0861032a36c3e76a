"""Helpers every test folder shares: one way to be "signed in a moment ago" (what allauth
records at a password sign-in, which `recent_login_required` checks: accounts/sessions.py
signed_in_within), the sandbox's bank routing number, and the repository's root (ROOT: a test
file's own place in tests/ may change, this file's does not)."""

import time
from pathlib import Path

ROOT = (
    Path(__file__).resolve().parents[1]
)  # the repository (tests/shared_helpers.py lives in tests/)

SANDBOX_ROUTING = "110000000"  # the sandbox gateway's test routing number


def mark_recent_sign_in(client, user, *, at: float | None = None) -> None:
    """Record a password sign-in by `user` at `at` (a Unix time; default now) on the client's
    session."""
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time() if at is None else at, "email": user.email}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def sign_in_recently(client, user, *, at: float | None = None):
    """force_login `user`, then mark_recent_sign_in; returns the client."""
    client.force_login(user)
    mark_recent_sign_in(client, user, at=at)
    return client
