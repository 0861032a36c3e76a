"""Setting up and removing the authenticator app; recovery codes shown once; re-authentication."""

import datetime as dt
import re
from base64 import b32decode
from binascii import hexlify

import pytest
import time_machine
from accounts_helpers import sign_in
from django.core import mail
from django.test import Client, override_settings
from factories import TEST_PASSWORD, totp_code

from accounts.models import RecoveryCode, TOTPDevice
from accounts.second_factor import RECOVERY_CODE_COUNT

SETUP_URL = "/account/security/authenticator/"
CODES_URL = "/account/security/recovery-codes/"
REMOVE_URL = "/account/security/remove/"
T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def shown_key(html: str) -> str:
    match = re.search(r"data-totp-key>([A-Z2-7 ]+)<", html)
    assert match, html
    return match.group(1).replace(" ", "")


def code_for_shown_key(html: str) -> str:
    device = TOTPDevice(key=hexlify(b32decode(shown_key(html))).decode())
    return totp_code(device)


@pytest.fixture
def fresh_client(client, borrower):
    """Signed in with a password just now (a recent sign-in)."""
    sign_in(client, borrower.email, TEST_PASSWORD)
    mail.outbox.clear()
    return client


@pytest.mark.django_db
def test_setup_shows_a_qr_code_and_the_key(fresh_client, borrower):
    html = fresh_client.get(SETUP_URL).content.decode()
    assert 'src="data:image/svg+xml' in html
    assert len(shown_key(html)) == 32
    device = TOTPDevice.objects.get(user=borrower)
    assert device.confirmed is False
    # A reload shows the same key (the unconfirmed device is reused).
    assert shown_key(fresh_client.get(SETUP_URL).content.decode()) == shown_key(html)


@pytest.mark.django_db
def test_confirming_turns_it_on_and_shows_ten_codes_once(fresh_client, borrower):
    html = fresh_client.get(SETUP_URL).content.decode()
    response = fresh_client.post(SETUP_URL, {"code": code_for_shown_key(html)})
    assert response["Location"] == CODES_URL
    borrower.refresh_from_db()
    assert borrower.has_second_factor
    page = fresh_client.get(CODES_URL).content.decode()
    codes = re.findall(r"<code>([A-Z0-9-]+)</code>", page)
    assert len(codes) == RECOVERY_CODE_COUNT == len(set(codes))
    download = fresh_client.get(CODES_URL + "download/")
    assert download["Content-Disposition"].startswith("attachment")
    assert all(code in download.content.decode() for code in codes)
    fresh_client.post(CODES_URL)  # "I've saved my codes"
    assert "<code>" not in fresh_client.get(CODES_URL).content.decode()
    assert fresh_client.get(CODES_URL + "download/").status_code == 404
    assert RecoveryCode.objects.filter(device__user=borrower).count() == 10
    assert fresh_client.get("/loans/").status_code == 200  # this session counts as verified
    assert [m.subject for m in mail.outbox] == ["iSmartPay: A second sign-in step was added"]


@pytest.mark.django_db
def test_a_wrong_first_code_does_not_turn_it_on(fresh_client, borrower):
    fresh_client.get(SETUP_URL)
    response = fresh_client.post(SETUP_URL, {"code": "123456"})
    assert response.status_code == 400
    borrower.refresh_from_db()
    assert not borrower.has_second_factor


@pytest.mark.django_db
def test_turning_it_on_signs_out_other_sessions(fresh_client, borrower):
    other = Client()
    sign_in(other, borrower.email, TEST_PASSWORD)
    html = fresh_client.get(SETUP_URL).content.decode()
    fresh_client.post(SETUP_URL, {"code": code_for_shown_key(html)})
    assert other.get("/loans/")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_setup_and_removal_need_a_sign_in_within_five_minutes(client, otp_borrower):
    with time_machine.travel(T0, tick=False):
        sign_in(client, otp_borrower.email, TEST_PASSWORD)
        client.post("/account/security/code/", {"code": totp_code(otp_borrower.totp_device)})
    with time_machine.travel(T0 + dt.timedelta(minutes=6), tick=False):
        for url in (SETUP_URL, REMOVE_URL):
            response = client.get(url)
            assert response["Location"].startswith("/accounts/reauthenticate/"), url
        assert client.post(REMOVE_URL)["Location"].startswith("/accounts/reauthenticate/")
        otp_borrower.refresh_from_db()
        assert otp_borrower.has_second_factor
        response = client.post(
            "/accounts/reauthenticate/?next=" + REMOVE_URL, {"password": TEST_PASSWORD}
        )
        assert response.status_code == 302
        assert client.post(REMOVE_URL)["Location"] == "/account/security/"
    otp_borrower.refresh_from_db()
    assert not otp_borrower.has_second_factor
    assert not TOTPDevice.objects.filter(user=otp_borrower).exists()
    assert "turned off" in mail.outbox[-1].subject


@pytest.mark.django_db
def test_regenerating_recovery_codes_invalidates_the_old_ones(client, otp_borrower):
    from accounts.second_factor import recovery_codes_generate

    old = recovery_codes_generate(user=otp_borrower)
    sign_in(client, otp_borrower.email, TEST_PASSWORD)
    client.post("/account/security/code/", {"code": totp_code(otp_borrower.totp_device)})
    client.post(CODES_URL + "new/")
    new = re.findall(r"<code>([A-Z0-9-]+)</code>", client.get(CODES_URL).content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    device = otp_borrower.recoverycodedevice_set.get()
    assert device.verify_token(old[0]) is False
    assert device.verify_token(new[0]) is True


@pytest.mark.django_db
def test_security_page_shows_the_state(otp_client):
    html = otp_client.get("/account/security/").content.decode()
    assert "Second sign-in step" in html and "Turn off" in html


@pytest.mark.django_db
@override_settings(ACCOUNTS_REQUIRE_SECOND_FACTOR_FOR_PAYMENTS=True)
def test_the_payments_setting_sends_a_borrower_without_a_device_to_set_one_up(rf, borrower):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse

    from accounts.decorators import payments_access_required

    view = payments_access_required(lambda request: HttpResponse("pay"))
    request = rf.get("/pay/")
    request.user, request.session = borrower, SessionStore()
    request._messages = FallbackStorage(request)
    response = view(request)
    assert response["Location"] == SETUP_URL + "?next=%2Fpay%2F"
    borrower.has_second_factor = True
    assert view(request).content == b"pay"


@pytest.mark.django_db
def test_the_payments_decorator_lets_a_borrower_through_by_default(rf, borrower):
    from django.http import HttpResponse

    from accounts.decorators import payments_access_required

    request = rf.get("/pay/")
    request.user = borrower
    assert payments_access_required(lambda r: HttpResponse("pay"))(request).content == b"pay"
