"""Cache down (issue 9, finding 9): the guest lookup, limited in the cache, answers a friendly
503 and finds no loan; loan linking counts its failures in the database and keeps working."""

import datetime as dt

import pytest
import time_machine
from factories import LoanFactory
from redis_down import cache_down

from loans.models import LinkAttempt, LoanLink

pytestmark = pytest.mark.django_db

GUEST = "/payments/guest/"


def guest_lookup(client, loan, *, vin=None):
    data = {
        "lender": loan.lender.pk,
        "loan_number": loan.loan_number,
        "billing_zip": "10001",
        "vin_last6": vin or loan.vin[-6:],
    }
    return client.post(GUEST, data, REMOTE_ADDR="203.0.113.5")


def test_guest_lookup_with_the_cache_down_is_a_503_and_finds_no_loan(client, make_loan):
    loan = make_loan(None, billing_zip="10001")
    with cache_down():
        response = guest_lookup(client, loan)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Please try again in a minute" in response.content.decode()
    assert "payments_guest" not in client.session
    assert guest_lookup(client, loan).status_code == 302  # the cache is back


@time_machine.travel(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC), tick=False)
def test_loan_linking_keeps_working_and_counting_with_the_cache_down(borrower_client, borrower):
    loan = LoanFactory()
    data = {
        "lender": loan.lender_id,
        "loan_number": loan.loan_number,
        "billing_zip": "10001",
        "vin_last6": "AAAAAA",
    }
    with cache_down():
        wrong = borrower_client.post("/loans/link/", data)
        right = borrower_client.post("/loans/link/", {**data, "vin_last6": loan.vin[-6:]})
    assert wrong.status_code == 200
    assert LinkAttempt.objects.get(user=borrower).failures == 1
    assert right["Location"] == f"/loans/{loan.pk}/"
    assert LoanLink.objects.get(user=borrower).loan == loan
