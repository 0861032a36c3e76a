# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""While an autopay payment waits for staff review (payments/risk.py), the borrower can pause
or cancel autopay, and that stops the held payment at once (payments/autopay/held_stop.py);
a change of terms or method waits for the review.

Observed before: the cancel was refused "being processed" for as long as the review took and
January was charged meanwhile (attacker review helper-65); then, let through, a pause and a
resume before the review left the held December to be charged on approval, on a day no
notice named, and a change of card left it to be charged to the card the change replaced
(attacker review helper-67)."""

import datetime as dt

import pytest
from autopay_fixtures import at, enroll, five_tries_within_the_hour, inline_charges  # noqa: F401
from django.core import mail
from factories import UserFactory

from payments import jobs
from payments.autopay import schedule as sched
from payments.autopay.errors import AutopayError
from payments.autopay.services import (
    autopay_cancel,
    autopay_change,
    autopay_pause,
    autopay_resume,
)
from payments.errors import PaymentError
from payments.models import AutopayDebit, Payment
from payments.services.lifecycle import payment_review_approve

START = dt.date(2026, 11, 24)  # linked_loan: next due Sat Dec 5 2026 -> debit Fri Dec 4
DEC_RUN, DEC_10, JAN_5 = dt.date(2026, 12, 4), dt.date(2026, 12, 10), dt.date(2027, 1, 5)


@pytest.fixture
def held_december(linked_loan, borrower, add_card, enroll):
    """Autopay ("amount due") from Nov 24; Dec 4's debit held for review. (plan, payment)."""
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9), amount_rule="due")
    five_tries_within_the_hour(
        linked_loan, borrower, add_card("4000000000000002"), before=at(DEC_RUN)
    )
    jobs.run_autopay(on=DEC_RUN, now=at(DEC_RUN))
    dec = AutopayDebit.objects.get(plan=plan, period_key=dt.date(2026, 12, 5))
    mail.outbox.clear()
    return plan, Payment.objects.get(idempotency_key=dec.idempotency_key, status="held")


def _autopay_posted(loan) -> list:
    return list(Payment.objects.filter(loan=loan, source="autopay", status="posted"))


def _stopped(plan, held) -> None:
    held.refresh_from_db()
    assert (held.status, held.status_reason) == (
        "cancelled",
        "You chose to pause autopay before our review of this payment finished, so it was "
        "not made.",
    )
    dec = AutopayDebit.objects.get(plan=plan, period_key=dt.date(2026, 12, 5))
    assert (dec.status, dec.reason) == ("skipped", "stopped by the borrower before the review")
    with pytest.raises(PaymentError, match="only a payment held for review can be approved"):
        payment_review_approve(payment_id=held.pk, actor=UserFactory(is_staff=True))


@pytest.mark.django_db(transaction=True)
def test_a_pause_stops_the_held_payment_and_a_resume_does_not_bring_it_back(
    held_december, borrower, linked_loan
):
    plan, held = held_december

    autopay_pause(plan_id=plan.pk, user=borrower, now=at(DEC_10, 10))

    _stopped(plan, held)
    (email,) = mail.outbox  # the pause's own email tells it (notifications.told_by_autopay)
    assert email.subject == "Your autopay is paused"
    assert (
        "Your automatic payment for the installment due December 5, 2026, which was waiting "
        "for our review, will not be made." in email.body
    )
    resumed = autopay_resume(plan_id=plan.pk, user=borrower, now=at(dt.date(2026, 12, 11), 10))
    assert resumed.next_run_date == JAN_5
    assert _autopay_posted(linked_loan) == []


@pytest.mark.django_db(transaction=True)
def test_a_cancel_stops_the_held_payment_and_nothing_more_is_charged(
    held_december, borrower, linked_loan
):
    plan, held = held_december

    cancelled = autopay_cancel(plan_id=plan.pk, user=borrower, now=at(DEC_10, 10))

    assert cancelled.status == "cancelled"
    held.refresh_from_db()
    assert held.status == "cancelled" and "cancel autopay" in held.status_reason
    jobs.run_autopay(on=JAN_5, now=at(JAN_5))
    assert _autopay_posted(linked_loan) == []
    assert not AutopayDebit.objects.filter(plan=plan, period_key=JAN_5).exists()


@pytest.mark.django_db(transaction=True)
def test_a_change_of_card_waits_for_the_review_of_the_held_payment(
    held_december, borrower, add_card
):
    plan, held = held_december

    with pytest.raises(AutopayError) as refused:
        autopay_change(
            plan_id=plan.pk,
            user=borrower,
            method=add_card("5555555555554444"),
            terms=sched.PlanTerms(schedule="monthly_due", amount_rule="due", start_date=DEC_10),
            ip_address="198.51.100.23",
            user_agent="test",
            now=at(DEC_10, 10),
        )

    assert str(refused.value) == (
        "Your payment for Dec 5 is waiting for a review by our team. You can pause or cancel "
        "autopay now (that payment is then not made), or change autopay after the review."
    )
    plan.refresh_from_db()
    held.refresh_from_db()
    assert (plan.method.last4, held.status) == ("4242", "held")


@pytest.mark.django_db(transaction=True)
def test_a_pause_skips_a_period_waiting_for_the_held_one_so_a_quick_resume_charges_nothing(
    linked_loan, borrower, add_card, enroll
):
    """December held and paid by hand; January waits for December's review (15 minutes).
    Paused at 10:00 and resumed at 10:05 on Jan 5: January is skipped with the pause, and
    the sweep at 10:20 charges nothing (the resume's email names Feb 5 as the next).
    Before (attacker review helper-69): January stayed WAITING and was charged at 10:15."""
    from test_autopay_held_earlier import _dec_held_and_paid_by_hand

    from payments.autopay import engine

    plan, _held = _dec_held_and_paid_by_hand(linked_loan, borrower, add_card, enroll)
    assert AutopayDebit.objects.get(plan=plan, period_key=JAN_5).status == "waiting"

    autopay_pause(plan_id=plan.pk, user=borrower, now=at(JAN_5, 10))
    resumed = autopay_resume(plan_id=plan.pk, user=borrower, now=at(JAN_5, 10, 5))
    engine.autopay_recover(now=at(JAN_5, 10, 20), on=JAN_5)

    jan = AutopayDebit.objects.get(plan=plan, period_key=JAN_5)
    assert (jan.status, jan.reason) == ("skipped", "autopay paused")
    assert resumed.next_run_date == dt.date(2027, 2, 5)
    assert _autopay_posted(linked_loan) == []
