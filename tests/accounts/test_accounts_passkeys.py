"""Passkeys (django-otp-webauthn) as a second step: wiring, rules, and a real ceremony in Chromium
with a virtual authenticator (fingerprint / face stand-in)."""

import datetime as dt
import json

import pytest
import time_machine
from accounts_helpers import OTP_URL, add_credential, sign_in
from django.core import mail
from django_otp_webauthn.models import WebAuthnCredential
from factories import TEST_PASSWORD, UserFactory

from accounts.second_factor import passkey_registered, second_factor_remove

BEGIN_REGISTRATION = "/account/passkeys/registration/begin/"
BEGIN_AUTHENTICATION = "/account/passkeys/authentication/begin/"


@pytest.mark.django_db
def test_registering_a_passkey_turns_on_the_second_step_with_recovery_codes(rf, borrower):
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.post("/")
    request.user, request.session = borrower, SessionStore()
    add_credential(borrower)
    codes = passkey_registered(request=request, user=borrower)
    borrower.refresh_from_db()
    assert borrower.has_second_factor and len(codes) == 10
    assert "passkey" in mail.outbox[-1].body.lower()
    assert passkey_registered(request=request, user=borrower) == []  # keeps existing codes


@pytest.mark.django_db
def test_turning_off_removes_passkeys_too(rf, borrower):
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.post("/")
    request.user, request.session = borrower, SessionStore()
    add_credential(borrower)
    passkey_registered(request=request, user=borrower)
    second_factor_remove(request=request, user=borrower)
    assert not WebAuthnCredential.objects.filter(user=borrower).exists()


@pytest.mark.django_db
def test_a_passkey_user_gets_the_passkey_button_and_its_ceremony_is_reachable(client, borrower):
    add_credential(borrower)
    borrower.has_second_factor = True
    borrower.save()
    sign_in(client, borrower.email, TEST_PASSWORD)
    assert client.get("/loans/")["Location"].startswith(OTP_URL)
    html = client.get(OTP_URL + "?next=/loans/").content.decode()
    assert 'id="passkey-verification-button"' in html
    assert 'id="otp_webauthn_config"' in html and "<script>" not in html
    begin = client.post(BEGIN_AUTHENTICATION, "{}", content_type="application/json")
    assert begin.status_code == 200
    assert json.loads(begin.content)["allowCredentials"]  # this user's passkeys only


@pytest.mark.django_db
def test_adding_a_passkey_needs_a_recent_sign_in(client, borrower):
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False):
        sign_in(client, borrower.email, TEST_PASSWORD)
        assert client.post(BEGIN_REGISTRATION).status_code == 200
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, 6, tzinfo=dt.UTC), tick=False):
        refused = client.post(BEGIN_REGISTRATION)
        assert refused.status_code == 403
        assert client.get("/account/security/passkey/")["Location"].startswith(
            "/accounts/reauthenticate/"
        )


@pytest.mark.django_db
def test_a_second_device_cannot_be_added_before_passing_the_first(client, otp_borrower):
    sign_in(client, otp_borrower.email, TEST_PASSWORD)
    assert client.post(BEGIN_REGISTRATION)["Location"].startswith(OTP_URL)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_phone_adds_a_passkey_and_signs_in_with_it(browser_page, live_server, settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    user = UserFactory(email="face@example.com")
    page, base = browser_page, live_server.url.replace("127.0.0.1", "localhost")
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [base]
    page.set_default_timeout(10_000)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    def password_sign_in():
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_login", user.email)
        page.fill("#id_password", TEST_PASSWORD)
        page.click("button:has-text('Sign in')")

    password_sign_in()
    page.wait_for_url(f"{base}/loans/")
    page.goto(f"{base}/account/security/passkey/")
    page.wait_for_selector("#passkey-register-button")
    page.screenshot(path="/tmp/shots/passkey-add.png", full_page=True)
    page.click("#passkey-register-button")
    page.wait_for_url(f"{base}/account/security/recovery-codes/")
    assert page.locator(".recovery-codes code").count() == 10
    assert WebAuthnCredential.objects.filter(user=user).count() == 1

    page.context.clear_cookies()
    password_sign_in()
    page.wait_for_selector("#passkey-verification-button")
    page.screenshot(path="/tmp/shots/security-code-passkey.png", full_page=True)
    page.click("#passkey-verification-button")
    page.wait_for_url(f"{base}/loans/")
    page.goto(f"{base}/account/security/")
    page.screenshot(path="/tmp/shots/security-with-passkey.png", full_page=True)
