"""Sign-in limits do not lock out a household or office (issue 10, item 6): the per-account
limit stays 5 wrong passwords in 5 minutes; the per-IP limit is high enough for one person's
typos; behind the TLS proxy allauth counts each visitor's own address."""

import datetime as dt

import pytest
import time_machine
from accounts_helpers import sign_in
from django.test import Client, override_settings
from factories import TEST_PASSWORD, UserFactory
from test_settings_env import printed_with_settings

WRONG = "not the password at all"
HOUSE = "203.0.113.5"
PROXY = "10.0.0.2"
NEXT = "198.51.100.7"  # a neighbour, with their own address


@pytest.mark.django_db
def test_one_persons_typos_do_not_lock_out_another_person_on_the_same_ip():
    typist, other = UserFactory(), UserFactory()
    browser = Client()
    for _ in range(5):
        assert b"not correct" in sign_in(browser, typist.email, WRONG, REMOTE_ADDR=HOUSE).content
    refused = sign_in(browser, typist.email, TEST_PASSWORD, REMOTE_ADDR=HOUSE)
    assert b"Too many failed login attempts" in refused.content  # per account: still strict
    response = sign_in(Client(), other.email, TEST_PASSWORD, REMOTE_ADDR=HOUSE)
    assert response["Location"] == "/loans/"


@pytest.mark.django_db
def test_ten_wrong_passwords_on_several_accounts_do_not_block_the_address():
    users = UserFactory.create_batch(5)
    for user in users:
        for _ in range(2):
            sign_in(Client(), user.email, WRONG, REMOTE_ADDR=HOUSE)
    response = sign_in(Client(), UserFactory().email, TEST_PASSWORD, REMOTE_ADDR=HOUSE)
    assert response["Location"] == "/loans/"


@pytest.mark.django_db
@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_the_ip_limit_counts_each_visitors_own_address():
    users = UserFactory.create_batch(31)
    start = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    for minute, batch in enumerate((users[:15], users[15:30])):  # under 30 sign-ins a minute
        with time_machine.travel(start + dt.timedelta(minutes=minute, seconds=1), tick=False):
            for user in batch:
                sign_in(Client(), user.email, WRONG, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=HOUSE)
    with time_machine.travel(start + dt.timedelta(minutes=1, seconds=30), tick=False):
        blocked = sign_in(
            Client(), users[30].email, TEST_PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=HOUSE
        )
        neighbour = sign_in(
            Client(), users[30].email, TEST_PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=NEXT
        )
    assert b"Too many failed login attempts" in blocked.content
    assert neighbour["Location"] == "/loans/"


def test_the_proxy_depth_comes_from_the_environment():
    dump = "from ismartpay import settings as s; print(s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    assert printed_with_settings(dump) == "0"
    assert printed_with_settings(dump, ALLAUTH_TRUSTED_PROXY_COUNT="1") == "1"
