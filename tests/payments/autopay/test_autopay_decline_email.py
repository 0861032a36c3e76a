# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""A declined automatic payment is told once: by the autopay's email (why, whether it is tried
again, the pay-now link). Before, the payment's own "didn't go through" notice went too, once
its transaction committed — two emails for one decline, the second saying "pay now" as if no
retry followed. (The run's tests without transaction=True never commit, so never saw it.)"""

import datetime as dt
from decimal import Decimal

import pytest
from autopay_fixtures import at, enroll, five_tries_within_the_hour, inline_charges  # noqa: F401
from django.core import mail

from loans.models import Loan
from payments import jobs
from payments.models import Notice

START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026, installment 483.32
DAY = dt.date(2026, 12, 4)  # Dec 5's run date (a Saturday: the Friday before)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("principal", "amount"),
    [(None, "$483.32"), (Decimal("400.00"), "$401.91")],
    ids=["set-path", "one-debit-path (the payoff)"],
)
def test_a_declined_automatic_payment_is_told_in_one_email(
    linked_loan, add_card, enroll, principal, amount
):
    if principal is not None:
        Loan.objects.filter(pk=linked_loan.pk).update(principal_balance=principal)
    enroll(linked_loan, add_card("4000000000009995"), now=at(START, 9))

    jobs.run_autopay(on=DAY, now=at(DAY))

    declined = [m.subject for m in mail.outbox if "didn't go through" in m.subject]
    assert declined == [f"Your automatic payment of {amount} didn't go through"]
    assert not Notice.objects.filter(kind="payment_failed").exists()


@pytest.mark.django_db(transaction=True)
def test_staff_rejecting_a_held_automatic_payment_tells_the_borrower_once(
    linked_loan, borrower, add_card, enroll
):
    """Before: the plain "We could not process your payment" and the autopay's "didn't go
    through" (the attacker review of 31a85ff)."""
    from factories import UserFactory

    from payments.autopay import engine
    from payments.models import AutopayDebit, Payment
    from payments.services.lifecycle import payment_review_reject

    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    five_tries_within_the_hour(linked_loan, borrower, add_card("4000000000000002"), before=at(DAY))
    jobs.run_autopay(on=DAY, now=at(DAY))
    debit = AutopayDebit.objects.get(plan=plan)
    held = Payment.objects.get(idempotency_key=debit.idempotency_key)
    assert held.status == "held"
    mail.outbox.clear()

    payment_review_reject(payment_id=held.pk, actor=UserFactory(is_staff=True), reason="velocity")
    engine.autopay_recover(now=at(DAY, 9), on=DAY)

    debit.refresh_from_db()
    assert debit.status == "failed"
    assert [m.subject for m in mail.outbox] == [
        "Your automatic payment of $483.32 didn't go through"
    ]
    assert not Notice.objects.filter(kind="payment_rejected").exists()
