"""A borrower on a phone: sign up, verify the email, enrol TOTP, reach the dashboard."""

import re
import time
from base64 import b32decode
from binascii import hexlify
from pathlib import Path

import pytest
from django.core import mail
from factories import totp_code

from accounts.models import TOTPDevice

SHOTS = Path("/tmp/shots")
PASSWORD = "my phone is my wallet 2026"


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def device_from_shown_key(page) -> TOTPDevice:
    key = page.locator("[data-totp-key]").inner_text().replace(" ", "")
    return TOTPDevice(key=hexlify(b32decode(key)).decode())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_phone_signup_verify_enrol_totp_and_reach_the_dashboard(browser_page, live_server):
    page, base = browser_page, live_server.url
    page.set_default_timeout(10_000)
    page.goto(f"{base}/accounts/signup/")
    shot(page, "sign-up")
    page.fill("#id_full_name", "Ana Lima")
    page.fill("#id_email", "ana@example.com")
    page.fill("#id_phone", "555-123-4567")
    page.fill("#id_password1", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Check your email")

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body).group(0)
    page.goto(base + re.sub(r"^https?://[^/]+", "", link))
    page.click("button:has-text('Confirm email')")
    # Confirmed in the browser that signed up: signed in (issue 11, item 7).
    page.wait_for_url(f"{base}/loans/")

    page.goto(f"{base}/account/security/authenticator/")
    if "/reauthenticate/" in page.url:  # signed in by the email link, not a password
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/account/security/authenticator/")
    shot(page, "totp-enrolment")
    device = device_from_shown_key(page)
    page.fill("#id_code", totp_code(device))
    page.click("button:has-text('Turn on')")
    page.wait_for_selector("text=Save them now")
    assert page.locator(".recovery-codes code").count() == 10
    shot(page, "recovery-codes")
    page.click("button:has-text('saved my codes')")
    page.wait_for_url(f"{base}/account/security/")

    # Sign in again: the security code step comes after the password.
    page.click("summary")
    page.click("button:has-text('Sign out')")
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", "ana@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("h1:has-text('Security code')")
    assert page.get_attribute("#id_code", "autocomplete") == "one-time-code"
    shot(page, "security-code")
    page.fill("#id_code", totp_code(device, at=time.time() + 30))  # a newer code than enrolment's
    page.click("button:has-text('Continue')")
    page.wait_for_url(f"{base}/loans/")
    assert "No loans linked yet" in page.content()

    page.goto(f"{base}/account/activity/")
    shot(page, "recent-activity")
    page.goto(f"{base}/account/profile/")
    shot(page, "profile")
    page.goto(f"{base}/account/security/")
    shot(page, "security")
