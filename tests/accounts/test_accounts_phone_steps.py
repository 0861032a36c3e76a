"""Sign-up and the second step on a phone (issue 11, item 7): confirming the email signs in (or
fills the sign-in email), "Check your email" can resend, the authenticator set-up can be
opened or copied on the same phone, no account menu mid-sign-in, and the 30-minute note only
when that is why."""

import datetime as dt
import re

import pytest
import time_machine
from accounts_helpers import OTP_URL, link_in_last_mail, sign_in
from django.core import mail
from django.test import Client, TestCase
from factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
PASSWORD = "paper lantern river 1987"
T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def _signup(client, email="new@example.com"):
    data = {"email": email, "password1": PASSWORD, "full_name": "Ana Lima", "phone": ""}
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/accounts/signup/", data)


def test_confirming_the_email_in_the_same_browser_signs_the_borrower_in(client):
    _signup(client)
    confirm = link_in_last_mail(r"https?://\S+/accounts/confirm-email/\S+")
    response = client.post(confirm)
    assert response.status_code == 302 and response["Location"] == "/loans/"
    assert client.get("/loans/").status_code == 200


def test_confirming_in_another_browser_lands_on_sign_in_with_the_email_filled(client):
    _signup(client)
    confirm = link_in_last_mail(r"https?://\S+/accounts/confirm-email/\S+")
    other = Client()
    response = other.post(confirm)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    page = other.get("/accounts/login/").content.decode()
    tag = re.search(r'<input[^>]*name="login"[^>]*>', page).group(0)
    assert 'value="new@example.com"' in tag
    assert "Your email is confirmed" in page
    assert "_auth_user_id" not in other.session


def test_check_your_email_offers_a_resend_that_answers_alike_for_any_address(client):
    _signup(client)
    page = client.get("/accounts/confirm-email/").content.decode()
    assert re.search(r'<form method="post" action="/account/confirm-email/resend/"', page)
    assert "Send the link again" in page
    sent = len(mail.outbox)
    later = time_machine.travel(dt.timedelta(minutes=4))  # past allauth's 3-minute cooldown
    with later, TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/account/confirm-email/resend/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/confirm-email/"
    notes = [str(m) for m in response.context["messages"]]
    assert notes[-1] == (
        "If that address still needs confirming, we've sent a new link. "
        "It can take a few minutes to arrive."
    )
    assert len(mail.outbox) == sent + 1 and mail.outbox[-1].to == ["new@example.com"]
    stranger = Client()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = stranger.post(
            "/account/confirm-email/resend/", {"email": "nobody@example.com"}, follow=True
        )
    assert [str(m) for m in response.context["messages"]][-1] == notes[-1]
    assert len(mail.outbox) == sent + 1  # nothing sent, nothing said


def test_the_authenticator_setup_can_be_opened_or_copied_on_the_same_phone(client, borrower):
    sign_in(client, borrower.email, TEST_PASSWORD)  # a password a moment ago: may set it up
    page = client.get("/account/security/authenticator/").content.decode()
    link = re.search(r'<a class="btn[^"]*" href="(otpauth://totp/[^"]+)"[^>]*>([^<]+)<', page)
    assert link and link.group(2) == "Open in my authenticator app"
    assert "secret=" in link.group(1) and "issuer=iSmartPay" in link.group(1)
    assert re.search(
        r'<button type="button"[^>]*data-copy="[^"]+"[^>]*hidden>Copy key</button>', page
    )
    assert re.search(r'<script src="/static/js/copy\.js[^"]*" defer></script>', page)


def test_the_account_menu_is_not_shown_while_the_code_is_asked(client, otp_borrower):
    sign_in(client, otp_borrower.email, TEST_PASSWORD)
    page = client.get(OTP_URL).content.decode()
    assert "user-menu" not in page and "Payment methods" not in page
    assert re.search(r'<button type="submit"[^>]*>Sign out</button>', page)


def test_the_30_minute_note_is_said_only_after_30_minutes_idle(client, borrower):
    phone, laptop = Client(), Client()
    with time_machine.travel(T0, tick=False):
        sign_in(phone, borrower.email, TEST_PASSWORD)
        sign_in(laptop, borrower.email, TEST_PASSWORD)
        assert laptop.get("/loans/").status_code == 200
        phone.post("/account/security/sign-out-others/")
    with time_machine.travel(T0 + dt.timedelta(minutes=2), tick=False):
        response = laptop.get("/loans/", follow=True)
    text = response.content.decode()
    assert "30 minutes" not in text
    assert "You were signed out. Please sign in again." in text
