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


@pytest.mark.django_db
def test_the_borrower_cancels_a_payment_held_for_review_and_nothing_is_charged(
    borrower, borrower_client, linked_loan, add_card
):
    """Issue 11, item 6: the held page says what the borrower can do — cancel it."""
    from payments.models import SandboxCharge
    from payments.services import new_idempotency_key

    card = add_card("4242424242424242")
    now = dt.datetime(2026, 11, 24, 15, tzinfo=dt.UTC)
    with time_machine.travel(now, tick=False):
        held = payment_submit(
            loan_id=linked_loan.pk,
            method=card,
            amount=Decimal("5000.00"),  # a card added today paying far more than suggested
            idempotency_key=new_idempotency_key(),
            payer=borrower,
            payer_email=borrower.email,
            confirm_duplicate=True,
            now=now,
        )
        assert held.status == Payment.Status.HELD
        page = borrower_client.get(f"/payments/p/{held.reference}/").content.decode()
        assert "Cancel this payment" in page
        response = borrower_client.post(f"/payments/p/{held.reference}/cancel/", follow=True)
    held.refresh_from_db()
    assert held.status == Payment.Status.CANCELLED
    assert "Your payment is cancelled. Nothing will be charged." in response.content.decode()
    assert SandboxCharge.objects.count() == 0
