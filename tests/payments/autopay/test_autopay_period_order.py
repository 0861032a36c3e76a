# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""A loan's periods are priced in order (payments/autopay/period_order.py): a debit whose
amount depends on an earlier period's debit of its loan that is still open — waiting to retry,
at the processor, or held by another worker — waits (WAITING), on the set path and on the
one-debit path alike; one whose amount does not (an installment far from the payoff) and one
behind a payment held for staff review are charged on their date. Found by the
attacker review of b1b9c48 (findings C, D, E and F1 in issue 15's stop note), all older than
it: a later period priced before an earlier one's outcome took the wrong amount, or was
refused as "already on its way" and failed."""

import datetime as dt
from decimal import Decimal

import pytest
from autopay_fixtures import at, enroll, five_tries_within_the_hour, inline_charges  # noqa: F401
from django.core import mail
from django.db.models import Sum

from loans.models import Loan
from payments import jobs
from payments.autopay import engine, leases
from payments.gateways.base import OutcomeUnknown
from payments.gateways.sandbox import SandboxGateway
from payments.models import AutopayDebit, Payment, SandboxCharge, SandboxToken

START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026, installment 483.32
INSTALLMENT = Decimal("483.32")
DEC_AND_JAN_DUE = dt.date(2027, 1, 11)


def _debits(plan) -> list[tuple]:
    rows = AutopayDebit.objects.filter(plan=plan).order_by("period_key")
    return list(rows.values_list("period_key", "status", "attempts", "amount"))


def _approve_from_now_on(card) -> None:
    """The borrower's account has the money now: the sandbox approves the card's charges."""
    SandboxToken.objects.filter(token=card.processor_token).update(outcome="ok")


def _due_rule_plan_with_dec_and_jan_due(linked_loan, add_card, enroll):
    """An "amount due" plan by card whose Dec 5 and Jan 5 debits are due on DEC_AND_JAN_DUE;
    returns the plan and Dec's debit."""
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9), amount_rule="due")
    engine.autopay_schedule_due(on=DEC_AND_JAN_DUE)
    return plan, AutopayDebit.objects.get(plan=plan, period_key=dt.date(2026, 12, 5))


def _posted_total() -> Decimal:
    posted = Payment.objects.filter(source="autopay", status="posted")
    return posted.aggregate(t=Sum("amount"))["t"]


@pytest.mark.django_db(transaction=True)
def test_a_soft_declined_catch_up_holds_the_later_periods_until_its_retry(
    linked_loan, add_card, enroll
):
    """Finding E. Before: Dec declined (insufficient funds) and went to RETRY; Jan and Feb were
    sent at once on the one-debit path with Dec unpaid (Jan at 966.64, two installments), and
    Dec's retry would find "nothing due"."""
    card = add_card("4000000000009995")  # insufficient_funds: retryable
    plan = enroll(linked_loan, card, now=at(START, 9), amount_rule="due")
    day = dt.date(2027, 2, 10)  # Dec 5, Jan 5 and Feb 5 missed

    first = jobs.run_autopay(on=day, now=at(day))

    retry_at = at(day, 6, 15)  # Dec's back-off: 15 minutes
    assert _debits(plan) == [
        (dt.date(2026, 12, 5), "retry", 1, INSTALLMENT),
        (dt.date(2027, 1, 5), "waiting", 0, None),
        (dt.date(2027, 2, 5), "waiting", 0, None),
    ]
    waiting = AutopayDebit.objects.filter(plan=plan, status="waiting")
    assert set(waiting.values_list("next_attempt_at", "reason")) == {
        (retry_at, "waits for the payment of Dec 5, 2026")
    }
    assert SandboxCharge.objects.count() == 1  # only Dec was sent
    assert (first["charged"], first["retried"], first["waiting"]) == (0, 1, 2)
    assert [m.subject for m in mail.outbox if "automatic payment" in m.subject] == [
        "Your automatic payment of $483.32 didn't go through"  # Dec's; nothing for the waiting
    ]

    _approve_from_now_on(card)
    second = jobs.run_autopay(on=day, now=retry_at)

    assert second["charged"] == 3
    assert _debits(plan) == [
        (dt.date(2026, 12, 5), "charged", 2, INSTALLMENT),
        (dt.date(2027, 1, 5), "charged", 1, INSTALLMENT),
        (dt.date(2027, 2, 5), "charged", 1, INSTALLMENT),
    ]
    assert _posted_total() == Decimal("1449.96")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("reason", "wait"),
    [("insufficient_funds", dt.timedelta(minutes=15)), ("re-present R01", dt.timedelta(days=2))],
    ids=["soft-decline", "ach-return"],
)
def test_a_period_first_in_its_part_waits_for_an_earlier_periods_pending_retry(
    linked_loan, add_card, enroll, reason, wait
):
    """Findings C and D on the set path: Dec waits to retry (a soft decline: 15 minutes; an
    R01 return presented again: 2 days, outcomes.REPRESENT_AFTER) and is not due yet, so the
    06:00 run claims only Jan. Before: Jan, first of its loan in the part, was priced with Dec
    unpaid — the due rule took both installments, 966.64 — and Dec's retry found nothing due."""
    plan, dec = _due_rule_plan_with_dec_and_jan_due(linked_loan, add_card, enroll)
    day = DEC_AND_JAN_DUE
    retry_at = at(day) + wait
    AutopayDebit.objects.filter(pk=dec.pk).update(
        status="retry", attempts=1, reason=reason, next_attempt_at=retry_at
    )

    first = jobs.run_autopay(on=day, now=at(day))

    assert first["due"] == 1
    assert _debits(plan) == [
        (dt.date(2026, 12, 5), "retry", 1, None),
        (dt.date(2027, 1, 5), "waiting", 0, None),
    ]
    jan = AutopayDebit.objects.get(plan=plan, period_key=dt.date(2027, 1, 5))
    assert (jan.next_attempt_at, jan.idempotency_key) == (retry_at, "")
    assert SandboxCharge.objects.count() == 0

    jobs.run_autopay(on=day, now=retry_at)

    assert _debits(plan) == [
        (dt.date(2026, 12, 5), "charged", 2, INSTALLMENT),
        (dt.date(2027, 1, 5), "charged", 1, INSTALLMENT),
    ]
    assert _posted_total() == Decimal("966.64")


@pytest.mark.django_db(transaction=True)
def test_a_period_waits_while_the_sweep_holds_the_earlier_one_at_the_processor(
    linked_loan, add_card, enroll
):
    """Finding D: the recovery sweep holds Dec (SUBMITTING under its live claim, its payment in
    flight) while the run claims Jan. Jan waits a minute; nothing is sent for it."""
    plan, dec = _due_rule_plan_with_dec_and_jan_due(linked_loan, add_card, enroll)
    day = DEC_AND_JAN_DUE
    AutopayDebit.objects.filter(pk=dec.pk).update(
        status="submitting",
        attempts=2,
        amount=INSTALLMENT,
        idempotency_key=f"autopay:{plan.pk}:20261205:2",
        claimed_by=leases.new_token(),  # this process: alive
        lease_until=at(day, 6, 0) + dt.timedelta(days=1),
    )

    jan = AutopayDebit.objects.get(plan=plan, period_key=dt.date(2027, 1, 5))
    ids = engine.due_debit_ids(on=day, now=at(day))
    assert ids == [jan.pk]  # Dec is held
    engine.autopay_charge_chunk(ids, on=day, now=at(day))

    jan.refresh_from_db()
    assert (jan.status, jan.attempts, jan.amount) == ("waiting", 0, None)
    assert jan.next_attempt_at == at(day, 6, 1)  # a minute: the sweep's period
    assert jan.reason == "waits for the payment of Dec 5, 2026"
    assert not Payment.objects.filter(loan=linked_loan).exists()


@pytest.mark.django_db(transaction=True)
def test_a_period_waits_while_an_earlier_charge_has_no_answer_then_pays_the_loan_off(
    linked_loan, add_card, enroll, monkeypatch
):
    """Finding F1's kind: the processor took Dec but its answer was lost, so Dec stays
    SUBMITTING for the sweep. Before: Jan was priced beside it and refused ("a payment of
    $483.32 is already on its way") — FAILED, the loan left past due. Now Jan waits a minute
    while Dec is resolved by its key; the sweep then charges Jan, which pays the loan off."""
    Loan.objects.filter(pk=linked_loan.pk).update(principal_balance=Decimal("725.00"))
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    day = dt.date(2027, 1, 11)  # Dec 5 and Jan 5 due
    real_charge = SandboxGateway.charge

    def answer_lost(self, request):
        real_charge(self, request)
        raise OutcomeUnknown("timeout")

    with monkeypatch.context() as patched:
        patched.setattr(SandboxGateway, "charge", answer_lost)
        jobs.run_autopay(on=day, now=at(day))

    # The run resolved Dec by its key before it ended (a claim left SUBMITTING is taken over);
    # Jan had waited, and its minute has not passed.
    assert _debits(plan) == [
        (dt.date(2026, 12, 5), "charged", 1, INSTALLMENT),
        (dt.date(2027, 1, 5), "waiting", 0, None),
    ]
    assert SandboxCharge.objects.count() == 1

    engine.autopay_recover(now=at(day, 6, 1), on=day)

    linked_loan.refresh_from_db()
    assert linked_loan.status == "paid_off"
    assert _debits(plan) == [
        (dt.date(2026, 12, 5), "charged", 1, INSTALLMENT),
        (dt.date(2027, 1, 5), "charged", 1, Decimal("249.66")),  # the payoff
    ]


@pytest.mark.django_db(transaction=True)
def test_a_waiting_period_goes_ahead_once_the_earlier_one_has_failed_for_good(
    linked_loan, add_card, enroll
):
    """Dec is declined three times (NACHA's three presentments: 06:00, 06:15, 07:15) and fails;
    Jan waited for each retry and is priced right after Dec's last: with Dec unpaid, the due
    rule asks both installments. Nothing is held back for ever."""
    card = add_card("4000000000009995")  # insufficient_funds: retryable
    plan = enroll(linked_loan, card, now=at(START, 9), amount_rule="due")
    day = DEC_AND_JAN_DUE

    for hour, minute in ((6, 0), (6, 15), (7, 15)):
        jobs.run_autopay(on=day, now=at(day, hour, minute))

    assert _debits(plan) == [
        (dt.date(2026, 12, 5), "failed", 3, INSTALLMENT),
        (dt.date(2027, 1, 5), "retry", 1, Decimal("966.64")),  # sent, and declined in turn
    ]
    assert SandboxCharge.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_cancelling_autopay_drops_the_periods_waiting_with_the_retry(
    linked_loan, add_card, enroll, borrower
):
    from payments.autopay.services import autopay_cancel

    plan = enroll(linked_loan, add_card("4000000000009995"), now=at(START, 9), amount_rule="due")
    day = DEC_AND_JAN_DUE
    jobs.run_autopay(on=day, now=at(day))
    assert AutopayDebit.objects.filter(plan=plan, status="waiting").count() == 1

    autopay_cancel(plan_id=plan.pk, user=borrower, now=at(day, 7))
    jobs.run_autopay(on=day, now=at(day, 8))

    rows = AutopayDebit.objects.filter(plan=plan).order_by("period_key")
    assert list(rows.values_list("status", "reason")) == [
        ("skipped", "autopay cancelled"),
        ("skipped", "autopay cancelled"),
    ]
    assert SandboxCharge.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_installment_far_from_the_payoff_is_charged_on_its_date_beside_a_pending_retry(
    linked_loan, add_card, enroll
):
    """An installment plan's amount does not depend on Dec's retry (the loan's payoff is far
    above both): Jan is charged at 06:00 on its date, not two days later with Dec's
    re-presentment (the attacker review of c04890e: a lender with little grace charged a late
    fee)."""
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    engine.autopay_schedule_due(on=DEC_AND_JAN_DUE)
    day = DEC_AND_JAN_DUE
    AutopayDebit.objects.filter(plan=plan, period_key=dt.date(2026, 12, 5)).update(
        status="retry",
        attempts=1,
        amount=INSTALLMENT,
        reason="re-present R01",
        next_attempt_at=at(day) + dt.timedelta(days=2),
    )

    jobs.run_autopay(on=day, now=at(day))

    assert _debits(plan) == [
        (dt.date(2026, 12, 5), "retry", 1, INSTALLMENT),
        (dt.date(2027, 1, 5), "charged", 1, INSTALLMENT),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_payment_held_for_staff_review_does_not_hold_the_next_period_back(
    linked_loan, borrower, add_card, enroll
):
    """Dec's payment broke a velocity rule (five tries on the loan within the hour) and waits
    for staff, which may take days: Dec's debit stays SUBMITTING meanwhile. Jan, an "amount
    due" debit, is charged on its date, not left waiting past its grace period (the attacker
    review of c04890e), and without Dec's held installment: staff then approve Dec, and two
    periods take two installments. Before, Jan took 966.64 and the approved Dec 483.32 more
    (the attacker review of 31a85ff)."""
    from factories import UserFactory

    from payments.services.lifecycle import payment_review_approve, submit_scheduled_payments

    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9), amount_rule="due")
    dec_day = dt.date(2026, 12, 4)
    declined = add_card("4000000000000002")
    five_tries_within_the_hour(linked_loan, borrower, declined, before=at(dec_day))
    jobs.run_autopay(on=dec_day, now=at(dec_day))
    dec = AutopayDebit.objects.get(plan=plan, period_key=dt.date(2026, 12, 5))
    assert dec.status == "submitting"
    assert Payment.objects.get(idempotency_key=dec.idempotency_key).status == "held"

    jan_day = dt.date(2027, 1, 5)
    jobs.run_autopay(on=jan_day, now=at(jan_day))

    jan = AutopayDebit.objects.get(plan=plan, period_key=dt.date(2027, 1, 5))
    assert (jan.status, jan.amount) == ("charged", INSTALLMENT)

    held = Payment.objects.get(idempotency_key=dec.idempotency_key)
    if payment_review_approve(payment_id=held.pk, actor=UserFactory(is_staff=True)).status == (
        "scheduled"  # the machine's clock is before Dec 4, the payment's day
    ):
        submit_scheduled_payments(on=jan_day)
    engine.autopay_recover(now=at(jan_day, 9), on=jan_day)  # the sweep finishes Dec's debit
    assert _debits(plan) == [
        (dt.date(2026, 12, 5), "charged", 1, INSTALLMENT),
        (dt.date(2027, 1, 5), "charged", 1, INSTALLMENT),
    ]
    assert _posted_total() == Decimal("966.64")
