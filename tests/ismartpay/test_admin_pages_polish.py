"""Staff pages read well (staff-console review): money with thousands separators, each page's
title once, plain-English messages, who made a posting by name, a favicon."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory
from staff_helpers import NOW, make_staff, staff_client

from accounts.roles import SUPERVISOR
from loans.services import loan_post_payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def big_loan():
    return LoanFactory(
        loan_number="BIG-1",
        principal_balance=Decimal("29298.79"),
        accrued_interest=Decimal("1234.50"),
        interest_accrued_through=dt.date(2026, 11, 5),
    )


def test_a_staff_action_page_shows_money_with_thousands_separators():
    loan = big_loan()
    client = staff_client(make_staff(SUPERVISOR))
    page = client.get(f"/admin/loans/loan/{loan.pk}/waive-fee/").content.decode()
    # Interest on the business date (Nov 24): $1,234.50 posted through Nov 5 plus 19 days on
    # $29,298.79 at 6 % (29,298.79 × 0.06 ÷ 365 × 19 = 91.509 → $91.51).
    assert "principal $29,298.79, interest $1,326.01, unpaid fees $0.00" in page
    assert "$29298.79" not in page


def test_the_loan_list_shows_money_formatted():
    big_loan()
    loans = staff_client(make_staff(SUPERVISOR)).get("/admin/loans/loan/").content.decode()
    assert "$29,298.79" in loans and "29298.79" not in loans


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/admin/payments/payment/record/", "Record a payment received"),
        ("/admin/payments/payment/remittance/", "Import a remittance file"),
        ("/admin/loans/contactnote/add/", "Add a contact note"),
        ("/admin/loans/accountflag/add/", "Set an account flag"),
    ],
)
def test_each_custom_page_shows_its_title_once(url, title):
    page = staff_client(make_staff(SUPERVISOR)).get(url).content.decode()
    assert page.count(f"{title}</h1>") == 1


def test_a_saved_note_says_so_in_plain_english():
    loan = big_loan()
    client = staff_client(make_staff(SUPERVISOR))
    response = client.post(
        "/admin/loans/contactnote/add/",
        {"loan_number": "BIG-1", "channel": "call", "outcome": "reached", "text": "Called"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        f"Contact note saved for loan {loan.loan_number}."
    ]


def test_the_queue_counts_loans_past_due():
    from loans.collections import collections_run

    LoanFactory(
        principal_balance=Decimal("21743.46"),
        interest_accrued_through=dt.date(2026, 10, 5),
        paid_toward_installments=9 * Decimal("483.32"),
    )
    collections_run(on=dt.date(2026, 11, 24))
    page = staff_client(make_staff(SUPERVISOR)).get("/admin/loans/delinquencysnapshot/")
    text = page.content.decode()
    assert "1 loan past due" in text and "collections queue entry" not in text


def test_a_posting_made_by_staff_names_them_on_the_loan_page():
    loan = big_loan()
    supervisor = make_staff(SUPERVISOR, email="sam@lender.example")
    loan_post_payment(
        loan_id=loan.pk, amount=Decimal("100.00"), effective_date=dt.date(2026, 11, 24),
        idempotency_key="t-2", actor=supervisor,
    )  # fmt: skip
    page = staff_client(supervisor).get(f"/admin/loans/loan/{loan.pk}/change/").content.decode()
    assert f"user:{supervisor.pk}" not in page
    assert "sam@lender.example" in page


def test_the_favicon_address_answers(client):
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert "icons/icon-192" in response["Location"]
