"""Staff users for admin tests: a role (group), a confirmed authenticator, and a client past
the second factor (as after the "Security code" page)."""

import datetime as dt

from django.contrib.auth.models import Group
from django_otp import DEVICE_ID_SESSION_KEY
from factories import UserFactory, totp_device_for
from shared_helpers import sign_in_recently

# 10:00 in New York on a business day: the lender's business date is 2026-11-24.
NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 24)


def make_staff(role=None, *, superuser=False, email=None):
    extra = {"email": email} if email else {}
    user = UserFactory(is_staff=True, is_superuser=superuser, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    user.totp_device = totp_device_for(user)
    return user


def staff_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totp_device.persistent_id
    session.save()
    return client


def borrower_pages(user, loan, *, plan=None) -> dict[str, int]:
    """Status of every borrower page for `user`'s `loan`: dashboard, loan detail, pay, history,
    autopay and the calendar feed."""

    from django.test import Client

    from loans.calendar_feeds import calendar_feed_rotate

    client = Client()
    sign_in_recently(client, user)  # a fresh password sign-in (the pay page asks for one)
    token = calendar_feed_rotate(user=user)
    autopay = (
        f"/payments/autopay/plan/{plan.pk}/" if plan else f"/payments/autopay/{loan.pk}/setup/"
    )
    pages = {
        "dashboard": "/loans/",
        "loan detail": f"/loans/{loan.pk}/",
        "pay": f"/payments/pay/{loan.pk}/",
        "history": "/payments/history/",
        "autopay": autopay,
        "calendar feed": f"/loans/calendar/{token}.ics",
    }
    return {name: client.get(url).status_code for name, url in pages.items()}


def form_token() -> str:
    """A fresh one-time token, as a staff money form renders it in its hidden `submit_token`
    field (required on every such form: ismartpay/core/submit_token.py)."""
    from ismartpay.core.submit_token import new_submit_token

    return new_submit_token()
