"""Cache down (issue 9, finding 9): the pages whose rate limits live in the cache answer a
friendly 503 "try again in a minute" with Retry-After — never a 500, and never a way around
the limit (no sign-in, no email, no account happens while the limit cannot be checked)."""

import pytest
from accounts_helpers import LOGIN_URL, OTP_URL, sign_in
from django.core import mail
from django.test import Client
from factories import TEST_PASSWORD, totp_code
from redis_down import cache_down, silent_port

from accounts.models import SignInEvent, User

pytestmark = pytest.mark.django_db

RESET_URL = "/accounts/password/reset/"
SIGNUP_URL = "/accounts/signup/"
FRIENDLY = "Please try again in a minute"


def assert_try_again_later(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert FRIENDLY in response.content.decode()


def test_sign_in_with_the_cache_down_is_a_503_and_signs_nobody_in(client, borrower):
    with cache_down():
        assert client.get(LOGIN_URL).status_code == 200  # the form itself needs no limit
        response = sign_in(client, borrower.email, TEST_PASSWORD)
        assert_try_again_later(response)
        assert "_auth_user_id" not in client.session
        assert client.get("/loans/")["Location"].startswith(LOGIN_URL)
    assert not SignInEvent.objects.exists()
    assert mail.outbox == []
    assert sign_in(client, borrower.email, TEST_PASSWORD)["Location"] == "/loans/"  # cache back


def test_a_cache_that_never_answers_is_a_503_within_about_a_second(client, borrower):
    import time

    with silent_port() as url, cache_down(url):
        started = time.monotonic()
        response = sign_in(client, borrower.email, TEST_PASSWORD)
        elapsed = time.monotonic() - started
    assert_try_again_later(response)
    assert elapsed < 2.5, elapsed
    assert "_auth_user_id" not in client.session


def test_password_reset_with_the_cache_down_is_a_503_and_sends_nothing(client, borrower):
    with cache_down():
        assert_try_again_later(client.post(RESET_URL, {"email": borrower.email}))
    assert mail.outbox == []


def test_sign_up_with_the_cache_down_is_a_503_and_creates_nobody(client):
    data = {"email": "new@example.com", "password1": "paper lantern river 1987"}
    with cache_down():
        assert_try_again_later(client.post(SIGNUP_URL, {**data, "full_name": "Ana Lima"}))
    assert not User.objects.filter(email="new@example.com").exists()
    assert mail.outbox == []


def test_the_second_factor_code_with_the_cache_down_is_a_503_and_stays_unverified(otp_borrower):
    client = Client()
    assert sign_in(client, otp_borrower.email, TEST_PASSWORD).status_code == 302
    with cache_down():
        response = client.post(OTP_URL, {"code": totp_code(otp_borrower.totp_device)})
        assert_try_again_later(response)
    assert client.get("/loans/")["Location"].startswith(OTP_URL)
