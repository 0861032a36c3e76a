"""What holds a payment for review, and what a held payment's page says (issue 11, item 6):
paying what the portal itself suggests (amount due, monthly payment, payoff) from a method
added or verified today is never held on that basis alone."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from loans.selectors import loan_summary
from payments.models import Payment
from payments.services import payment_submit

pytestmark = pytest.mark.django_db

# Wednesday 2027-03-10, 10:00 in New York: linked_loan (due on the 5th, Nov 2026 unpaid) has
# Nov, Dec, Jan, Feb and Mar due: five installments, more than three.
FOUR_BEHIND = dt.datetime(2027, 3, 10, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _four_installments_behind():
    with time_machine.travel(FOUR_BEHIND, tick=False):
        yield


def _pay(borrower, loan, method, amount: Decimal, key: str) -> Payment:
    return payment_submit(
        loan_id=loan.pk,
        method=method,
        amount=amount,
        idempotency_key=key,
        payer=borrower,
        payer_email=borrower.email,
        confirm_duplicate=True,
    )


def test_a_just_verified_account_paying_exactly_the_amount_due_is_not_held(
    borrower, linked_loan, add_bank
):
    bank = add_bank("000123456789")  # added and verified a moment ago
    due = loan_summary(linked_loan, today=timezone.localdate()).amount_due
    assert due == Decimal("2416.60")  # 5 × 483.32
    payment = _pay(borrower, linked_loan, bank, due, "due")
    assert payment.status == Payment.Status.PENDING and payment.risk_flags == []


def test_a_new_card_paying_the_payoff_is_not_held(borrower, linked_loan, add_card):
    card = add_card("4242424242424242")
    payoff = loan_summary(linked_loan, today=timezone.localdate()).payoff_today
    payment = _pay(borrower, linked_loan, card, payoff, "payoff")
    assert payment.status == Payment.Status.POSTED and payment.risk_flags == []


def test_a_new_card_paying_a_large_amount_nobody_suggested_is_still_held(
    borrower, linked_loan, add_card
):
    card = add_card("4242424242424242")
    payment = _pay(borrower, linked_loan, card, Decimal("1933.29"), "odd")
    assert payment.status == Payment.Status.HELD
    assert payment.risk_flags == [
        "a method added in the last 24 hours paying more than 3 installments"
    ]


def test_a_held_payment_page_says_why_how_long_and_what_to_do(
    borrower, borrower_client, linked_loan, add_card
):
    card = add_card("4242424242424242")
    held = _pay(borrower, linked_loan, card, Decimal("1933.29"), "odd")
    page = borrower_client.get(reverse("payments:detail", args=[held.reference])).content.decode()
    assert (
        "Why: this card or account was added in the last day and the amount is more than "
        "three monthly payments." in page
    )
    assert "We usually finish within 1 business day" in page
    assert "Nothing has been charged" in page
    assert "pay from a verified bank account" in page
    assert "Confirmation number" not in page  # not confirmed yet: a reference
    assert "Reference" in page
