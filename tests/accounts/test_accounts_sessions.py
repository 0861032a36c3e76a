"""Sessions: lifetimes, sign-out, sign out everywhere, recent sign-in for sensitive changes."""

import datetime as dt

import pytest
import time_machine
from accounts_helpers import sign_in
from django.conf import settings
from django.core import mail
from django.test import Client
from factories import TEST_PASSWORD

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def test_idle_timeout_is_at_most_30_minutes_and_cookies_are_locked_down():
    assert settings.SESSION_COOKIE_AGE <= 30 * 60
    # Not saved on every request: accounts.sessions.session_touch_if_due restarts the idle
    # timer at most once a minute (tests below).
    assert not settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.ACCOUNTS_SESSION_ABSOLUTE_AGE <= 12 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_COOKIE_SECURE
    assert settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")
    assert settings.ACCOUNT_REAUTHENTICATION_TIMEOUT <= 5 * 60
    assert settings.PASSWORD_RESET_TIMEOUT <= 3600


@pytest.mark.django_db
def test_idle_for_31_minutes_means_signing_in_again_with_a_friendly_note(client, borrower):
    with time_machine.travel(T0, tick=False):
        sign_in(client, borrower.email, TEST_PASSWORD)
        assert client.get("/loans/").status_code == 200
    with time_machine.travel(T0 + dt.timedelta(minutes=31), tick=False):
        response = client.get("/loans/", follow=True)
        assert response.redirect_chain[0][0].startswith("/accounts/login/")
        assert b"signed out after 30 minutes without activity" in response.content


def _session_expiry(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.cookies["sessionid"].value).expire_date


@pytest.mark.django_db
def test_a_page_view_saves_the_session_at_most_once_a_minute(
    client, borrower, django_assert_num_queries
):
    with time_machine.travel(T0, tick=False) as traveller:
        sign_in(client, borrower.email, TEST_PASSWORD)
        client.get("/loans/")
        saved = _session_expiry(client)
        traveller.shift(dt.timedelta(seconds=59))
        client.get("/loans/")
        assert _session_expiry(client) == saved  # no write 59 s later
        traveller.shift(dt.timedelta(seconds=1))
        client.get("/loans/")
        assert _session_expiry(client) == saved + dt.timedelta(seconds=60)


@pytest.mark.django_db
def test_a_request_every_29_minutes_keeps_the_session_and_30_idle_minutes_end_it(client, borrower):
    with time_machine.travel(T0, tick=False) as traveller:
        sign_in(client, borrower.email, TEST_PASSWORD)
        for _ in range(4):  # 29 minutes of quiet, 4 times: never signed out
            traveller.shift(dt.timedelta(minutes=29))
            assert client.get("/loans/").status_code == 200
        last_request = T0 + dt.timedelta(minutes=4 * 29)
        assert _session_expiry(client) == last_request + dt.timedelta(minutes=30)
        traveller.shift(dt.timedelta(minutes=30, seconds=1))
        response = client.get("/loans/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_idle_timer_never_runs_past_30_minutes_after_the_last_request(client, borrower):
    with time_machine.travel(T0, tick=False) as traveller:
        sign_in(client, borrower.email, TEST_PASSWORD)
        client.get("/loans/")
        for _ in range(10):  # a request every 10 s: saved at most once a minute
            traveller.shift(dt.timedelta(seconds=10))
            client.get("/loans/")
        last_request = T0 + dt.timedelta(seconds=100)
        expiry = _session_expiry(client)
        assert last_request + dt.timedelta(minutes=29) <= expiry
        assert expiry <= last_request + dt.timedelta(minutes=30)


@pytest.mark.django_db
def test_an_active_session_still_ends_after_12_hours(client, borrower):
    with time_machine.travel(T0, tick=False) as traveller:
        sign_in(client, borrower.email, TEST_PASSWORD)
        for _ in range(12 * 3 + 1):  # a request every 20 minutes keeps it from idling out
            traveller.shift(dt.timedelta(minutes=20))
            response = client.get("/loans/")
            if response.status_code != 200:
                break
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_old_cookie_after_sign_out_gets_the_sign_in_page(client, borrower):
    sign_in(client, borrower.email, TEST_PASSWORD)
    old_cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    stale = Client()
    stale.cookies["sessionid"] = old_cookie
    assert stale.get("/loans/")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_sign_out_everywhere_else_ends_other_sessions_only(client, borrower):
    phone, laptop = Client(), Client()
    sign_in(phone, borrower.email, TEST_PASSWORD)
    sign_in(laptop, borrower.email, TEST_PASSWORD)
    assert phone.post("/account/security/sign-out-others/").status_code == 302
    assert phone.get("/loans/").status_code == 200
    assert laptop.get("/loans/")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_changing_email_needs_a_recent_sign_in_and_reverification(client, borrower):
    with time_machine.travel(T0, tick=False):
        sign_in(client, borrower.email, TEST_PASSWORD)
    with time_machine.travel(T0 + dt.timedelta(minutes=6), tick=False):
        response = client.post("/accounts/email/", {"action_add": "1", "email": "new@example.com"})
        assert response["Location"].startswith("/accounts/reauthenticate/")
        client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
        mail.outbox.clear()
        response = client.post("/accounts/email/", {"action_add": "1", "email": "new@example.com"})
        assert response.status_code == 302
    borrower.refresh_from_db()
    assert borrower.email != "new@example.com"  # only once the new address is confirmed
    assert mail.outbox[0].to == ["new@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


@pytest.mark.django_db
def test_recent_activity_lists_sign_ins_with_time_ip_and_device(client, borrower):
    ua = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit Version/17.5 Safari/604"
    )
    sign_in(client, borrower.email, TEST_PASSWORD, HTTP_USER_AGENT=ua)
    html = client.get("/account/activity/").content.decode()
    assert "Safari on iPhone" in html
    assert "IP 127.0.0.1" in html
    assert "<time datetime=" in html


@pytest.mark.django_db
def test_recent_activity_shows_only_my_own_sign_ins(client, borrower):
    from factories import UserFactory

    other = UserFactory()
    sign_in(Client(), other.email, TEST_PASSWORD, HTTP_USER_AGENT="Firefox/125.0 (Windows)")
    sign_in(client, borrower.email, TEST_PASSWORD, HTTP_USER_AGENT="Chrome/126.0 (Android)")
    html = client.get("/account/activity/").content.decode()
    assert "Chrome on Android" in html and "Firefox" not in html
