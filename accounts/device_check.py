"""Which second-factor device a signed-in request counts, reading its row once per session
(issue 15 goal 1) without weakening the rule that a removed or unconfirmed device stops
counting at once.

django-otp's middleware reads the session's device row on every request. Here the first read
that finds the device confirmed and the user's records, in the session, the device and the
user's `otp_devices_stamp`. The database moves that stamp on whenever any device of the user is
deleted, unconfirmed or given to another user, whatever did it (triggers: accounts migration
0005), and the user row is read on every request anyway (the session's auth hash): while the
stamp and the device are the ones recorded, the device is the one verified, and no row is read.
The triggers are PostgreSQL's: on SQLite (the single-machine development mode) the row is read
on every request, as django-otp does.
"""

from contextlib import suppress

from django.apps import apps
from django.contrib.sessions.backends.base import SessionBase
from django.db import connection
from django_otp.models import Device

# [user id, device persistent id, the user's otp_devices_stamp when that device was read]
CHECKED_KEY = "accounts_otp_device_checked"
# Only what the check needs: the Fernet-encrypted key is never decrypted on a page view.
CHECK_FIELDS = ("id", "user_id", "confirmed")


def _model_and_pk(persistent_id: str) -> tuple[type[Device], int] | None:
    with suppress(ValueError, LookupError):
        model_label, device_id = persistent_id.rsplit("/", 1)
        model = apps.get_model(*model_label.split("."))
        if issubclass(model, Device):
            return model, int(device_id)
    return None


def _record(user, persistent_id: str) -> list:
    """What a session keeps of a device it read confirmed (CHECKED_KEY): JSON, so a list."""
    return [user.pk, persistent_id, user.otp_devices_stamp]


def device_read(persistent_id: str) -> Device | None:
    """The device row, only the columns the check needs (the rest load if asked for)."""
    found = _model_and_pk(persistent_id)
    if found is None:
        return None
    model, pk = found
    return model.objects.only(*CHECK_FIELDS).filter(pk=pk).first()


def device_if_unchanged(session: SessionBase, user, persistent_id: str) -> Device | None:
    """The session's device without a query, when this session read it confirmed for `user`
    and none of the user's devices changed since; else None (read the row)."""
    if connection.vendor != "postgresql":  # no triggers move the stamp (migration 0005)
        return None
    if session.get(CHECKED_KEY) != _record(user, persistent_id):
        return None
    model, pk = _model_and_pk(persistent_id)
    # As `.only(*CHECK_FIELDS)` would load it: other fields are read from the row if asked.
    return model.from_db("default", list(CHECK_FIELDS), [pk, user.pk, True])


def device_checked(session: SessionBase, user, device: Device) -> None:
    """Record that `device` was read confirmed for `user` with the user's stamp as read in
    this request (before the device row: a change in between moved the stamp on)."""
    record = _record(user, device.persistent_id)
    if session.get(CHECKED_KEY) != record:
        session[CHECKED_KEY] = record
