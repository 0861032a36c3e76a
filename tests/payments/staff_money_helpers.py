"""Helpers shared by the staff-money tests (issue 13): staff users by role, signed in past the
second factor, and the loan figures they assert against."""

import datetime as dt

from django.contrib.auth.models import Group
from django_otp import DEVICE_ID_SESSION_KEY
from factories import UserFactory, totp_device_for

# Tuesday 2026-11-24, 10:00 in New York: a business day, before the 17:00 cut-off.
TUESDAY = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 24)


def make_staff(role=None):
    user = UserFactory(is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    user.totp_device = totp_device_for(user)
    return user


def staff_client(client, user):
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totp_device.persistent_id
    session.save()
    return client
