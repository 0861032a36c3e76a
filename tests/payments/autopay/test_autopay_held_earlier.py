# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""An "amount due" period whose whole amount an earlier period's payment held for staff review
would pay waits for the review (payments/autopay/period_order.py: net_of_held) instead of being
skipped as "nothing due": rejected, the later period is charged; approved, it is skipped.

Observed before (issue 15's stop note, attacker review helper-64, F4): Dec's debit held, the
borrower paid December by hand, Jan was priced at 0.00 and skipped; staff then rejected Dec's
payment and January's installment was never collected."""

import datetime as dt
from decimal import Decimal

import pytest
from autopay_fixtures import at, enroll, five_tries_within_the_hour, inline_charges  # noqa: F401
from django.db.models import Sum
from factories import UserFactory

from payments import jobs
from payments.autopay import engine
from payments.models import AutopayDebit, Payment
from payments.services import payment_submit
from payments.services.lifecycle import payment_review_approve, payment_review_reject

START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026, installment 483.32
INSTALLMENT = Decimal("483.32")
DEC_DAY, JAN_DAY = dt.date(2026, 12, 4), dt.date(2027, 1, 5)


def _debits(plan) -> list[tuple]:
    rows = AutopayDebit.objects.filter(plan=plan).order_by("period_key")
    return list(rows.values_list("period_key", "status", "amount", "reason"))


def _posted(loan) -> Decimal:
    rows = Payment.objects.filter(loan=loan, status="posted")
    return rows.aggregate(total=Sum("amount"))["total"]


def _dec_held_and_paid_by_hand(linked_loan, borrower, add_card, enroll):
    """Dec's debit held for review; the borrower pays December by hand on Dec 10; Jan's run.
    Returns the plan and Dec's held payment."""
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9), amount_rule="due")
    five_tries_within_the_hour(
        linked_loan, borrower, add_card("4000000000000002"), before=at(DEC_DAY)
    )
    jobs.run_autopay(on=DEC_DAY, now=at(DEC_DAY))
    dec = AutopayDebit.objects.get(plan=plan, period_key=dt.date(2026, 12, 5))
    held = Payment.objects.get(idempotency_key=dec.idempotency_key, status="held")
    by_hand = payment_submit(
        loan_id=linked_loan.pk,
        method=plan.method,
        amount=INSTALLMENT,
        idempotency_key="by-hand-dec",
        payer=borrower,
        payer_email=borrower.email,
        now=at(dt.date(2026, 12, 10), 12),
        confirm_duplicate=True,  # asked: the held one is on the way for December (upcoming.py)
    )
    assert by_hand.status == "posted"
    jobs.run_autopay(on=JAN_DAY, now=at(JAN_DAY))
    return plan, held


@pytest.mark.django_db(transaction=True)
def test_a_period_a_held_payment_would_pay_waits_and_is_charged_when_staff_reject_it(
    linked_loan, borrower, add_card, enroll
):
    plan, held = _dec_held_and_paid_by_hand(linked_loan, borrower, add_card, enroll)
    jan = AutopayDebit.objects.get(plan=plan, period_key=JAN_DAY)
    assert (jan.status, jan.attempts, jan.reason) == (
        "waiting",
        0,
        "waits for the payment of Dec 5, 2026",
    )
    assert jan.next_attempt_at == at(JAN_DAY) + dt.timedelta(minutes=15)

    payment_review_reject(
        payment_id=held.pk, actor=UserFactory(is_staff=True), reason="Card testing pattern"
    )
    engine.autopay_recover(now=at(JAN_DAY, 9), on=JAN_DAY)

    assert [row[:3] for row in _debits(plan)] == [
        (dt.date(2026, 12, 5), "failed", INSTALLMENT),  # staff rejected its payment
        (JAN_DAY, "charged", INSTALLMENT),
    ]
    assert _posted(linked_loan) == Decimal("966.64")  # December by hand, January by autopay


@pytest.mark.django_db(transaction=True)
def test_a_period_a_held_payment_would_pay_is_skipped_when_staff_approve_it(
    linked_loan, borrower, add_card, enroll
):
    plan, held = _dec_held_and_paid_by_hand(linked_loan, borrower, add_card, enroll)
    approved = payment_review_approve(payment_id=held.pk, actor=UserFactory(is_staff=True))
    if approved.status == "scheduled":  # the machine's clock is before Dec 4, the payment's day
        from payments.services.lifecycle import submit_scheduled_payments

        submit_scheduled_payments(on=JAN_DAY)
    engine.autopay_recover(now=at(JAN_DAY, 9), on=JAN_DAY)

    assert _debits(plan) == [
        (dt.date(2026, 12, 5), "charged", INSTALLMENT, ""),
        (JAN_DAY, "skipped", None, "nothing due"),
    ]
    assert _posted(linked_loan) == Decimal("966.64")  # December by hand; the approved Dec: Jan
