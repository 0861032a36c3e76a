# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""A loan's debits are priced one after another, each with the one before it posted: a claim's
taken-over SUBMITTING debits are resolved before its fresh debits are priced, and what the set
path leaves to the one-debit path runs one at a time. Found by the attacker review of b1b9c48
(both paths predate it): a loan near its end had a period refused as "already on its way"
and was left past due, where one at a time pays it off (Feb's 49.31)."""

import datetime as dt
import socket
from decimal import Decimal

import pytest
from autopay_fixtures import at, enroll, inline_charges  # noqa: F401

from loans.models import Loan
from payments import jobs
from payments.autopay import engine, leases, pipeline
from payments.gateways.sandbox import SandboxGateway
from payments.models import AutopayDebit

START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026, installment 483.32
DAY = dt.date(2027, 2, 10)  # Dec 5, Jan 5 and Feb 5 due
DEAD_PROCESS = f"{socket.gethostname()[:60]}:4194305:1"  # above Linux's pid_max: never alive
PAID_OFF = [
    ("2026-12-05", "charged", Decimal("483.32")),
    ("2027-01-05", "charged", Decimal("483.32")),
    ("2027-02-05", "charged", Decimal("49.31")),
]


class Killed(BaseException):
    """A process killed where it stands (no except clause of the product catches it)."""


def _debits(plan) -> list[tuple[str, str, Decimal]]:
    rows = AutopayDebit.objects.filter(plan=plan).order_by("period_key")
    return [
        (str(key), status, amount)
        for key, status, amount in rows.values_list("period_key", "status", "amount")
    ]


def _taken_over_without_payment(plan) -> AutopayDebit:
    """The plan's Dec debit SUBMITTING under a dead claim, its key kept, no payment yet (a
    process killed before `payment_submit`); the plan's later debits removed."""
    stuck = AutopayDebit.objects.filter(plan=plan).order_by("period_key").first()
    AutopayDebit.objects.filter(plan=plan).exclude(pk=stuck.pk).delete()
    AutopayDebit.objects.filter(pk=stuck.pk).update(
        status="submitting",
        attempts=1,
        amount=Decimal("483.32"),
        idempotency_key=f"autopay:{plan.pk}:{stuck.period_key:%Y%m%d}:1",
        claimed_by=DEAD_PROCESS,
        lease_until=at(DAY) - dt.timedelta(minutes=5),
    )
    return stuck


@pytest.mark.django_db(transaction=True)
def test_catch_ups_left_to_the_one_debit_path_run_one_at_a_time_beside_a_taken_over_debit(
    settings, linked_loan, add_card, enroll, borrower
):
    """Before: with another loan's taken-over debit in the claim, the one-debit path ran its
    list on `concurrency` threads, Jan and Feb of one loan at once (3 runs out of 3: one of
    them FAILED, the loan past due)."""
    from factories import LoanFactory, LoanLinkFactory

    settings.AUTOPAY_CHARGE_CONCURRENCY = 4
    Loan.objects.filter(pk=linked_loan.pk).update(principal_balance=Decimal("1000.00"))
    card = add_card("4242424242424242")
    plan = enroll(linked_loan, card, now=at(START, 9))
    other_loan = LoanFactory(ten_paid=True, first_due_date=dt.date(2026, 2, 5))
    LoanLinkFactory(user=borrower, loan=other_loan)
    other = enroll(other_loan, card, now=at(START, 9))
    engine.autopay_schedule_due(on=DAY)
    stuck = _taken_over_without_payment(other)

    try:
        engine.autopay_charge_chunk(engine.due_debit_ids(on=DAY, now=at(DAY)), on=DAY, now=at(DAY))
    finally:
        pipeline.close_callers()

    linked_loan.refresh_from_db()
    assert linked_loan.status == "paid_off"
    assert _debits(plan) == PAID_OFF
    assert AutopayDebit.objects.get(pk=stuck.pk).status == "charged"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kill", ["before_the_processor", "after_the_processor"])
def test_a_taken_over_period_is_posted_before_a_fresh_later_one_is_priced(
    linked_loan, add_card, enroll, monkeypatch, kill
):
    """A run is killed in Jan's one-debit path (Dec posted, Feb still CLAIMED); the next run
    takes over Jan (stuck) and Feb (fresh). Before: Feb was priced and gated with Jan in
    flight, refused as "already on its way", and the loan left past due."""
    Loan.objects.filter(pk=linked_loan.pk).update(principal_balance=Decimal("1000.00"))
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    real_charge, calls = SandboxGateway.charge, []

    def charge(self, request):
        calls.append(request.amount)
        if len(calls) == 2:  # Jan, on the one-debit path
            if kill == "after_the_processor":
                real_charge(self, request)
            raise Killed
        return real_charge(self, request)

    with monkeypatch.context() as patched:
        patched.setattr(leases, "identity", lambda: DEAD_PROCESS)
        patched.setattr(SandboxGateway, "charge", charge)
        with pytest.raises(Killed):
            jobs.run_autopay(on=DAY, now=at(DAY))

    jobs.run_autopay(on=DAY, now=at(DAY, 6, 1))

    linked_loan.refresh_from_db()
    assert linked_loan.status == "paid_off"
    assert _debits(plan) == PAID_OFF


@pytest.mark.django_db(transaction=True)
def test_taken_over_debits_of_different_loans_are_resolved_at_once(
    settings, add_card, borrower, enroll, monkeypatch
):
    """A crash may leave a chunk's worth of taken-over debits, each a processor call: loans at
    once (`concurrency`), a loan's own one after another (the check of 91cc229: one at a time,
    20 of them took 7.3 s at 300 ms a call against 2.5 s)."""
    import threading

    from factories import LoanFactory, LoanLinkFactory

    settings.AUTOPAY_CHARGE_CONCURRENCY = 4
    card, plans = add_card("4242424242424242"), []
    for _ in range(2):
        loan = LoanFactory(ten_paid=True)
        LoanLinkFactory(user=borrower, loan=loan)
        plans.append(enroll(loan, card, now=at(START, 9)))
    engine.autopay_schedule_due(on=DAY)
    for plan in plans:
        _taken_over_without_payment(plan)
    both = threading.Barrier(2, timeout=10)  # broken unless the two run at the same time
    submit_and_finish = engine._submit_and_finish

    def together(debit_id, **kwargs):
        both.wait()
        return submit_and_finish(debit_id, **kwargs)

    monkeypatch.setattr(engine, "_submit_and_finish", together)
    try:
        out = engine.autopay_charge_chunk(
            engine.due_debit_ids(on=DAY, now=at(DAY)), on=DAY, now=at(DAY)
        )
    finally:
        pipeline.close_callers()

    assert out["charged"] == 2
    assert not both.broken
    assert AutopayDebit.objects.filter(status="charged").count() == 2
