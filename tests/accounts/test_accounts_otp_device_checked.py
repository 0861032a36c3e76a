"""The second factor's device is read once per session, not on every page (issue 15 goal 1),
and still stops counting at once when it is removed, unconfirmed or moved to another user,
by any path: a service, the admin, a queryset, raw SQL. Before, every signed-in page read the
device row (one statement of the floor's five, ≈ 1 ms of a page here: bench/README)."""

import importlib

import pytest
from accounts_helpers import OTP_URL, add_credential
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from factories import UserFactory

from accounts.models import RecoveryCodeDevice, TOTPDevice

pytestmark = pytest.mark.django_db
DEVICE_TABLES = ("accounts_totpdevice", "accounts_recoverycodedevice", "webauthncredential")


def _recovery_device(user):
    device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    return device


@pytest.fixture(params=["totp", "recovery codes", "passkey"])
def verified(request, client, otp_borrower):
    """A client past the second step with `device`, its first page already seen."""
    device = {
        "totp": lambda u: u.totp_device,
        "recovery codes": _recovery_device,
        "passkey": add_credential,
    }[request.param](otp_borrower)
    client.force_login(otp_borrower)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get("/loans/").status_code == 200
    return client, device


def _device_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if any(t in q["sql"] for t in DEVICE_TABLES)]


def test_a_verified_session_reads_no_device_row_after_its_first_page(verified):
    client, device = verified
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/loans/")
    assert response.status_code == 200
    assert _device_reads(queries.captured_queries) == []
    seen = response.wsgi_request.user.otp_device
    assert (type(seen), seen.pk, seen.user_id) == (type(device), device.pk, device.user_id)
    assert seen.get_deferred_fields() >= {"name"}  # read from the row if asked, never made up
    assert seen.name == device.name


def _unconfirm(device):
    type(device).objects.filter(pk=device.pk).update(confirmed=False)


def _delete(device):
    type(device).objects.filter(pk=device.pk).delete()


def _delete_by_sql(device):
    delete = f"DELETE FROM {device._meta.db_table} WHERE id = %s"  # noqa: S608 — model's table
    with connection.cursor() as cursor:
        cursor.execute(delete, [device.pk])


def _move_to_another_user(device):
    move = f"UPDATE {device._meta.db_table} SET user_id = %s WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(move, [UserFactory().pk, device.pk])


def _give_another_id(device):
    """Raw SQL only; the session's device id then names no row (the attacker review
    helper-76)."""
    renumber = f"UPDATE {device._meta.db_table} SET id = id + 1000000 WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(renumber, [device.pk])


@pytest.mark.parametrize(
    "change", [_unconfirm, _delete, _delete_by_sql, _move_to_another_user, _give_another_id]
)
def test_a_device_changed_after_the_session_was_checked_stops_counting_at_the_next_page(
    verified, change
):
    client, device = verified
    change(device)
    assert client.get("/loans/")["Location"].startswith(OTP_URL)


def test_a_device_confirmed_again_counts_after_one_read(verified):
    """Unconfirmed and confirmed again between two pages: the next page reads the row again
    (the user's device stamp moved on) and the device counts."""
    client, device = verified
    _unconfirm(device)
    type(device).objects.filter(pk=device.pk).update(confirmed=True)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/loans/").status_code == 200
    assert len(_device_reads(queries.captured_queries)) == 1


def test_a_session_switched_to_another_device_reads_that_device(client, otp_borrower):
    """The check is recorded for one device: a session whose device id changes (a new code
    step) reads the new device's row, which must be the user's and confirmed."""
    client.force_login(otp_borrower)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = otp_borrower.totp_device.persistent_id
    session.save()
    assert client.get("/loans/").status_code == 200
    stranger = TOTPDevice.objects.create(user=UserFactory(), name="x", key="00" * 20)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = stranger.persistent_id
    session.save()
    assert client.get("/loans/")["Location"].startswith(OTP_URL)


def test_saving_a_user_read_before_the_device_was_removed_does_not_bring_it_back(
    verified, otp_borrower
):
    """A request that read the user, then saved it after the device was deleted, writes the
    old stamp back: the database keeps the higher one, or the removed device would count
    again."""
    from accounts.models import User

    client, device = verified
    read_before = User.objects.get(pk=otp_borrower.pk)
    _delete(device)
    read_before.full_name = "Saved from a stale read"
    read_before.save()
    assert client.get("/loans/")["Location"].startswith(OTP_URL)


def test_truncating_the_device_tables_stops_every_session_counting_at_the_next_page(verified):
    """Incident response ("every authenticator is wiped, everyone enrols again"): TRUNCATE
    fires no row trigger; a statement trigger moves every user's stamp on (the attacker review
    helper-76: the session stayed verified with a device that no longer existed)."""
    client, _device = verified
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own pending FK checks
        cursor.execute(
            "TRUNCATE accounts_totpdevice, accounts_recoverycodedevice, "
            "django_otp_webauthn_webauthncredential CASCADE"
        )
    assert client.get("/loans/")["Location"].startswith(OTP_URL)


def test_every_device_stamp_trigger_is_installed_on_its_table():
    migration = importlib.import_module("accounts.migrations.0005_otp_devices_stamp")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE %s OR t.tgname LIKE %s",
            ["accounts_%", "django_otp_webauthn_%"],
        )
        installed = set(cursor.fetchall())
    expected = set(migration.TRIGGERS)
    assert len(expected) == 10
    assert expected <= installed


def test_on_a_database_without_the_triggers_the_device_row_is_read_every_time(
    verified, monkeypatch
):
    """SQLite, the single-machine development mode, has no triggers to move the stamp: the
    row is read on every page, as django-otp does."""
    client, _device = verified
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/loans/").status_code == 200
    assert len(_device_reads(queries.captured_queries)) == 1
