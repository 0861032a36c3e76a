"""Staff users for admin tests: a role (group), a confirmed authenticator, and a client past
the second factor (as after the "Security code" page)."""

import datetime as dt

from django.contrib.auth.models import Group
from django_otp import DEVICE_ID_SESSION_KEY
from factories import UserFactory, totp_device_for

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
