"""Per-IP limits do not lock out a household or office (issue 10, item 6): one visitor's
typos limit that visitor; the per-loan limit stays strict; behind the TLS proxy each visitor
is counted by their own address (ALLAUTH_TRUSTED_PROXY_COUNT)."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

GUEST = "/payments/guest/"
HOUSE = "203.0.113.5"
PROXY = "10.0.0.2"  # the TLS proxy's address, as gunicorn sees it


@pytest.fixture
def guest_loan(make_loan):
    return make_loan(None, billing_zip="10001")


def find(client, loan, *, zip_code="10001", ip=HOUSE, **headers):
    data = {
        "lender": loan.lender.pk,
        "loan_number": loan.loan_number,
        "billing_zip": zip_code,
        "vin_last6": loan.vin[-6:],
    }
    return client.post(GUEST, data, REMOTE_ADDR=ip, **headers)


def test_one_visitors_typos_do_not_lock_out_another_browser_on_the_same_ip(guest_loan, make_loan):
    other = make_loan(None)
    typist = Client()
    for _ in range(5):
        assert find(typist, other, zip_code="99999").status_code == 200
    assert find(typist, other, zip_code="99999").status_code == 429  # that visitor waits
    assert find(Client(), guest_loan).status_code == 302  # the rest of the house does not


def test_the_per_ip_limit_still_stops_a_spray_from_one_address(guest_loan, make_loan):
    for _ in range(30):
        assert find(Client(), make_loan(None), zip_code="99999").status_code == 200
    assert find(Client(), guest_loan).status_code == 429
    assert find(Client(), guest_loan, ip="198.51.100.7").status_code == 302


def test_the_per_loan_limit_stays_strict(guest_loan):
    for n in range(10):
        response = find(Client(), guest_loan, zip_code="99999", ip=f"198.51.100.{n}")
        assert response.status_code == 200
    assert find(Client(), guest_loan, ip="192.0.2.200").status_code == 429


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_each_visitor_is_counted_by_their_own_address(guest_loan, make_loan):
    for _ in range(30):
        response = find(
            Client(), make_loan(None), zip_code="99999", ip=PROXY, HTTP_X_FORWARDED_FOR=HOUSE
        )
        assert response.status_code == 200
    assert find(Client(), guest_loan, ip=PROXY, HTTP_X_FORWARDED_FOR=HOUSE).status_code == 429
    neighbour = find(Client(), guest_loan, ip=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert neighbour.status_code == 302


def test_without_a_trusted_proxy_a_forged_forwarded_for_is_ignored(guest_loan, make_loan):
    for n in range(30):
        forged = f"198.51.100.{n}"
        response = find(Client(), make_loan(None), zip_code="99999", HTTP_X_FORWARDED_FOR=forged)
        assert response.status_code == 200
    assert find(Client(), guest_loan, HTTP_X_FORWARDED_FOR="192.0.2.9").status_code == 429
