"""Someone with the password cannot lock the owner out of the second step (issue 10, item 7):
the wait is capped at 15 minutes, counted per device, a correct recovery code gets through,
and the owner is emailed once per burst of wrong codes."""

import datetime as dt

import pytest
import time_machine
from accounts_helpers import OTP_URL, sign_in
from django.core import mail
from django.test import Client
from factories import TEST_PASSWORD, totp_code

from accounts.models import RecoveryCodeDevice
from accounts.second_factor import recovery_codes_generate

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
GUESSING_SUBJECT = "iSmartPay: Someone is trying codes for your account's second step"


def _signed_in(user) -> Client:
    client = Client()
    assert sign_in(client, user.email, TEST_PASSWORD).status_code == 302
    return client


def _enter(client, code):
    return client.post(OTP_URL, {"code": code})


def _guess(client, tries: int, *, every: dt.timedelta, traveller) -> None:
    for _ in range(tries):
        _enter(client, "000000")
        traveller.shift(every)


@pytest.mark.django_db
def test_after_200_wrong_codes_the_wait_is_at_most_15_minutes(otp_borrower):
    device = otp_borrower.totp_device
    device.throttling_failure_count = 200
    device.throttling_failure_timestamp = T0
    device.save()
    with time_machine.travel(T0 + dt.timedelta(minutes=14, seconds=59), tick=False):
        owner = _signed_in(otp_borrower)
        assert b"Too many tries" in _enter(owner, totp_code(device)).content
    with time_machine.travel(T0 + dt.timedelta(minutes=15, seconds=1), tick=False):
        owner = _signed_in(otp_borrower)
        assert _enter(owner, totp_code(device))["Location"] == "/loans/"
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


@pytest.mark.django_db
def test_a_correct_recovery_code_gets_through_while_app_codes_are_guessed(otp_borrower):
    codes = recovery_codes_generate(user=otp_borrower)
    attacker = _signed_in(otp_borrower)
    with time_machine.travel(T0, tick=False) as traveller:
        # Guess all day: one wrong code every 20 s, past each wait while waits are short.
        _guess(attacker, 60, every=dt.timedelta(seconds=20), traveller=traveller)
        owner = _signed_in(otp_borrower)
        response = _enter(owner, codes[0])
        assert owner.get("/loans/").status_code == 200
    assert response["Location"] == "/loans/"
    recovery = RecoveryCodeDevice.objects.get(user=otp_borrower)
    assert recovery.throttling_failure_count == 0  # app-code guesses never touch it
    otp_borrower.totp_device.refresh_from_db()
    assert otp_borrower.totp_device.throttling_failure_count == 0  # the owner is back


@pytest.mark.django_db
def test_wrong_codes_are_counted_per_device(otp_borrower):
    recovery_codes_generate(user=otp_borrower)
    attacker = _signed_in(otp_borrower)
    with time_machine.travel(T0, tick=False) as traveller:
        _guess(attacker, 5, every=dt.timedelta(seconds=1), traveller=traveller)
    otp_borrower.totp_device.refresh_from_db()
    recovery = RecoveryCodeDevice.objects.get(user=otp_borrower)
    assert (
        otp_borrower.totp_device.throttling_failure_count,
        recovery.throttling_failure_count,
    ) == (
        5,
        0,
    )


@pytest.mark.django_db
def test_the_owner_is_emailed_once_per_burst_of_wrong_codes(otp_borrower):
    attacker = _signed_in(otp_borrower)
    mail.outbox.clear()
    with time_machine.travel(T0, tick=False) as traveller:
        _guess(attacker, 40, every=dt.timedelta(seconds=20), traveller=traveller)
    notices = [m for m in mail.outbox if m.subject == GUESSING_SUBJECT]
    assert len(notices) == 1
    assert notices[0].to == [otp_borrower.email]
    assert "wrong security codes" in notices[0].body
    assert "000000" not in notices[0].body
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        owner = _signed_in(otp_borrower)
        assert _enter(owner, totp_code(otp_borrower.totp_device))["Location"] == "/loans/"
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False) as traveller:
        _guess(_signed_in(otp_borrower), 6, every=dt.timedelta(seconds=20), traveller=traveller)
    assert len([m for m in mail.outbox if m.subject == GUESSING_SUBJECT]) == 2  # a new burst
