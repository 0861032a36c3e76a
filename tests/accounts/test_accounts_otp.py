"""The second factor at sign-in: the "Security code" step, TOTP rules, recovery codes, storage."""

import datetime as dt

import pytest
import time_machine
from accounts_helpers import OTP_URL, sign_in
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from factories import TEST_PASSWORD, totp_code

from accounts.second_factor import recovery_codes_generate
from accounts.sessions import REMEMBER_COOKIE

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def signed_in_without_code(client, user):
    response = sign_in(client, user.email, TEST_PASSWORD)
    assert response.status_code == 302
    return client


def enter(client, code, **extra):
    return client.post(OTP_URL, {"code": code, **extra})


def _all_paths(resolver=None, prefix=""):
    """Every URL of the URLconf without converters, e.g. "/loans/", "/admin/"."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if "<" in route or "(?P" in route or "^" in route.lstrip("^"):
            continue
        if isinstance(entry, URLResolver):
            yield from _all_paths(entry, route)
        elif isinstance(entry, URLPattern):
            yield "/" + route.lstrip("^").rstrip("$")


@pytest.mark.django_db
def test_every_login_required_page_and_the_admin_redirect_to_the_code_step(client, otp_borrower):
    otp_borrower.is_staff = True
    otp_borrower.save()
    signed_in_without_code(client, otp_borrower)
    exempt = {"/account/security/code/", "/accounts/logout/", "/healthz", "/help/", "/privacy/"}
    # The passkey ceremony is itself the second step (JSON endpoints of django-otp-webauthn).
    exempt |= {
        "/account/passkeys/authentication/begin/",
        "/account/passkeys/authentication/complete/",
        "/account/passkeys/jsi18n/",
    }
    checked = 0
    for path in sorted(set(_all_paths())):
        if path in exempt or path.startswith("/static/"):
            continue
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(OTP_URL), path
        checked += 1
    assert checked > 20
    assert client.get("/admin/")["Location"].startswith(OTP_URL)


@pytest.mark.django_db
def test_the_code_page_is_one_field_made_for_phones(client, otp_borrower):
    signed_in_without_code(client, otp_borrower)
    html = client.get(OTP_URL).content.decode()
    assert "<h1>Security code</h1>" in html
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    assert "onpaste" not in html and "<select" not in html
    assert "Remember this device for 30 days" in html


@pytest.mark.django_db
def test_the_right_code_opens_the_dashboard_with_a_new_session_key(client, otp_borrower):
    signed_in_without_code(client, otp_borrower)
    before = client.cookies["sessionid"].value
    response = enter(client, totp_code(otp_borrower.totp_device), next="/loans/")
    assert response["Location"] == "/loans/"
    assert client.cookies["sessionid"].value != before
    assert client.get("/loans/").status_code == 200


@pytest.mark.django_db
def test_a_wrong_code_is_refused(client, otp_borrower):
    signed_in_without_code(client, otp_borrower)
    right = totp_code(otp_borrower.totp_device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = enter(client, wrong)
    assert response.status_code == 400
    assert b"That code didn" in response.content
    assert client.get("/loans/")["Location"].startswith(OTP_URL)


@pytest.mark.django_db
def test_a_code_works_only_once(otp_borrower):
    with time_machine.travel(T0, tick=False):
        first, second = Client(), Client()
        signed_in_without_code(first, otp_borrower)
        signed_in_without_code(second, otp_borrower)
        code = totp_code(otp_borrower.totp_device)
        assert enter(first, code).status_code == 302
        reused = enter(second, code)
        assert reused.status_code == 400
        assert second.get("/loans/")["Location"].startswith(OTP_URL)


@pytest.mark.django_db
def test_after_five_bad_codes_further_tries_must_wait(client, otp_borrower):
    device = otp_borrower.totp_device
    with time_machine.travel(T0, tick=False):
        signed_in_without_code(client, otp_borrower)
        for _ in range(5):
            assert b"That code didn" in enter(client, "000000").content
        locked = enter(client, totp_code(device))
        assert b"Too many tries" in locked.content
        assert client.get("/loans/")["Location"].startswith(OTP_URL)
    with time_machine.travel(T0 + dt.timedelta(seconds=31), tick=False):
        assert enter(client, totp_code(device)).status_code == 302
        assert client.get("/loans/").status_code == 200


@pytest.mark.django_db
def test_code_attempts_are_rate_limited_per_account(client, otp_borrower):
    signed_in_without_code(client, otp_borrower)
    with time_machine.travel(T0, tick=True) as traveller:
        for _ in range(10):
            enter(client, "000000")
            traveller.shift(dt.timedelta(seconds=20))  # past the device's wait each time
        otp_borrower.totp_device.refresh_from_db()
        locked = enter(client, totp_code(otp_borrower.totp_device))
        assert b"Too many tries" in locked.content


@pytest.mark.django_db
def test_a_recovery_code_works_once(otp_borrower):
    codes = recovery_codes_generate(user=otp_borrower)
    first = signed_in_without_code(Client(), otp_borrower)
    page = first.get(OTP_URL + "?method=recovery").content.decode()
    assert "Recovery code" in page and 'inputmode="text"' in page
    assert enter(first, codes[0].lower().replace("-", " ")).status_code == 302
    assert first.get("/loans/").status_code == 200
    second = signed_in_without_code(Client(), otp_borrower)
    assert enter(second, codes[0]).status_code == 400
    assert enter(second, codes[1]).status_code == 302


@pytest.mark.django_db
def test_secrets_are_not_readable_in_a_database_dump(otp_borrower):
    codes = recovery_codes_generate(user=otp_borrower)
    device = otp_borrower.totp_device
    from base64 import b32encode

    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_totpdevice WHERE id = %s", [device.pk])
        stored_key = cursor.fetchone()[0]
        cursor.execute("SELECT code_hash FROM accounts_recoverycode")
        stored_codes = " ".join(row[0] for row in cursor.fetchall())
    assert device.key not in stored_key
    assert b32encode(device.bin_key).decode() not in stored_key
    assert stored_key.startswith("gAAAA")  # a Fernet token
    for code in codes:
        assert code not in stored_codes and code.replace("-", "") not in stored_codes


@pytest.mark.django_db
def test_borrower_without_a_device_is_not_asked_for_a_code(borrower_client):
    assert borrower_client.get("/loans/").status_code == 200


@pytest.mark.django_db
def test_otp_client_fixture_is_past_the_second_factor(otp_client):
    assert otp_client.get("/loans/").status_code == 200


@pytest.mark.django_db
def test_remember_this_device_skips_the_code_for_30_days(otp_borrower):
    browser = Client()
    with time_machine.travel(T0, tick=False):
        signed_in_without_code(browser, otp_borrower)
        enter(browser, totp_code(otp_borrower.totp_device), remember="on")
        assert browser.cookies[REMEMBER_COOKIE]["max-age"] == 30 * 24 * 3600
        assert browser.cookies[REMEMBER_COOKIE]["httponly"]
        browser.post("/accounts/logout/")
    with time_machine.travel(T0 + dt.timedelta(days=29), tick=False):
        signed_in_without_code(browser, otp_borrower)
        assert browser.get("/loans/").status_code == 200
        browser.post("/accounts/logout/")
    with time_machine.travel(T0 + dt.timedelta(days=31), tick=False):
        signed_in_without_code(browser, otp_borrower)
        assert browser.get("/loans/")["Location"].startswith(OTP_URL)


@pytest.mark.django_db
def test_a_remembered_device_is_forgotten_when_the_password_changes(otp_borrower):
    browser = Client()
    signed_in_without_code(browser, otp_borrower)
    enter(browser, totp_code(otp_borrower.totp_device), remember="on")
    browser.post("/accounts/logout/")
    otp_borrower.set_password("another long passphrase")
    otp_borrower.save()
    sign_in(browser, otp_borrower.email, "another long passphrase")
    assert browser.get("/loans/")["Location"].startswith(OTP_URL)


@pytest.mark.django_db
def test_a_remembered_device_does_not_help_another_user(otp_borrower):
    from factories import UserFactory, totp_device_for

    other = UserFactory()
    totp_device_for(other)
    browser = Client()
    signed_in_without_code(browser, otp_borrower)
    enter(browser, totp_code(otp_borrower.totp_device), remember="on")
    browser.post("/accounts/logout/")
    signed_in_without_code(browser, other)
    assert browser.get("/loans/")["Location"].startswith(OTP_URL)


@pytest.mark.django_db
def test_staff_are_asked_for_the_code_even_on_a_remembered_device(otp_borrower):
    otp_borrower.is_staff = True
    otp_borrower.save()
    browser = Client()
    signed_in_without_code(browser, otp_borrower)
    enter(browser, totp_code(otp_borrower.totp_device), remember="on")
    browser.post("/accounts/logout/")
    signed_in_without_code(browser, otp_borrower)
    assert browser.get("/loans/")["Location"].startswith(OTP_URL)


@pytest.mark.django_db
def test_a_verified_page_view_reads_the_device_without_decrypting_its_key(
    otp_client, otp_borrower, monkeypatch
):
    from ismartpay.core import crypto

    decrypted = []
    real = crypto.decrypt_str
    monkeypatch.setattr(crypto, "decrypt_str", lambda v: decrypted.append(v) or real(v))
    response = otp_client.get("/loans/")
    assert response.status_code == 200
    device = response.wsgi_request.user.otp_device
    assert device.pk == otp_borrower.totp_device.pk
    assert device.get_deferred_fields() >= {"key"}
    assert decrypted == []


@pytest.mark.django_db
def test_a_device_deleted_or_unconfirmed_behind_the_session_stops_counting_at_once(
    otp_client, otp_borrower
):
    from accounts.models import TOTPDevice

    TOTPDevice.objects.filter(pk=otp_borrower.totp_device.pk).update(confirmed=False)
    assert otp_client.get("/loans/")["Location"].startswith(OTP_URL)
    TOTPDevice.objects.filter(pk=otp_borrower.totp_device.pk).update(confirmed=True)
    TOTPDevice.objects.filter(pk=otp_borrower.totp_device.pk).delete()
    assert otp_client.get("/loans/")["Location"].startswith(OTP_URL)
