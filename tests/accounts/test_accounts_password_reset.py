"""Forgot password (single use, 1 hour), change password, and the second factor after a reset."""

import datetime as dt

import pytest
import time_machine
from accounts_helpers import OTP_URL, link_in_last_mail, sign_in
from django.core import mail
from django.test import Client
from factories import TEST_PASSWORD

RESET_URL = "/accounts/password/reset/"
NEW = "a brand new passphrase 77"


def request_reset(client, email):
    return client.post(RESET_URL, {"email": email})


def reset_link():
    return link_in_last_mail(r"https?://\S+/accounts/password/reset/key/\S+")


@pytest.mark.django_db
def test_reset_answers_the_same_for_known_and_unknown_emails(client, borrower):
    known = request_reset(client, borrower.email)
    unknown = request_reset(client, "nobody@example.com")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [m.to for m in mail.outbox] == [[borrower.email], ["nobody@example.com"]]


@pytest.mark.django_db
def test_reset_link_works_once_and_never_signs_in(client, borrower):
    request_reset(client, borrower.email)
    link = reset_link()
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"password1": NEW, "password2": NEW})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    borrower.refresh_from_db()
    assert borrower.check_password(NEW)
    again = Client()
    reused = again.get(link, follow=True)
    assert b"This link doesn" in reused.content
    assert mail.outbox[-1].subject == "iSmartPay: Password Reset"  # the notice after the change
    assert mail.outbox[-1].to == [borrower.email]


@pytest.mark.django_db
def test_reset_link_expires_after_one_hour(client, borrower):
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False):
        request_reset(client, borrower.email)
        link = reset_link()
    with time_machine.travel(dt.datetime(2026, 3, 2, 13, 0, 1, tzinfo=dt.UTC), tick=False):
        response = client.get(link, follow=True)
        assert b"This link doesn" in response.content


@pytest.mark.django_db
def test_after_a_reset_a_borrower_with_a_device_still_needs_the_code(client, otp_borrower):
    request_reset(client, otp_borrower.email)
    form_url = client.get(reset_link())["Location"]
    client.post(form_url, {"password1": NEW, "password2": NEW})
    response = sign_in(client, otp_borrower.email, NEW)
    assert client.get("/loans/")["Location"].startswith(OTP_URL)
    assert response.status_code == 302


@pytest.mark.django_db
def test_change_password_emails_a_notice_and_ends_other_sessions(client, borrower):
    other = Client()
    sign_in(other, borrower.email, TEST_PASSWORD)
    sign_in(client, borrower.email, TEST_PASSWORD)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": TEST_PASSWORD, "password1": NEW, "password2": NEW},
    )
    assert response.status_code == 302
    assert client.get("/loans/").status_code == 200  # this session stays
    assert other.get("/loans/")["Location"].startswith("/accounts/login/")
    assert mail.outbox[-1].subject == "iSmartPay: Password Changed"
