# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""Issue 15 goal 2: taken-over debits whose payment is in doubt (SUBMITTING, UNKNOWN) are
resolved set-based (payments/autopay/recover.py): their payments claimed for recovery in one
statement, the processor asked by key, the answers recorded in bulk by batch_record — with
the outcome of the one-by-one path (`payment_recover` + `autopay_finish_by_key`)."""

import datetime as dt
import socket
from decimal import Decimal

import pytest
from autopay_fixtures import (  # noqa: F401
    BULK_RUN_DATE,
    NY,
    at,
    bulk_due_plans,
    enroll,
    inline_charges,
)
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments.autopay import batch, batch_record, engine, leases, recover
from payments.gateways.base import ChargeResult, ChargeStatus, OutcomeUnknown
from payments.gateways.sandbox import SandboxGateway
from payments.models import AutopayDebit, Payment, PaymentEvent, SandboxCharge
from payments.recovery import payment_claim_for_recovery, payments_recover_stuck

START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026 (installment 11)
RUN_DAY = dt.date(2026, 12, 4)  # Dec 5 2026 is a Saturday: its debit runs Friday Dec 4
DEAD_PROCESS = f"{socket.gethostname()[:60]}:4194305:1"  # above Linux's pid_max: never alive
CARDS = {
    "charged": "4242424242424242",
    "declined": "4000000000000002",  # card_declined: final
    "retry": "4000000000009995",  # insufficient_funds: retryable
    "unknown": "4242424242424242",
    "not_found": "4242424242424242",
}


class Killed(BaseException):
    """A SIGKILL, simulated: nothing after it runs, no `except Exception` catches it."""


def _kill(*args, **kwargs):
    raise Killed


def _left_in_doubt(case: str, monkeypatch, run) -> None:
    """Run the night under a process that dies (its claims die with it) at `case`'s point:
    after the processor answered and before the answer was recorded (charged, declined,
    retry); after the processor took the charge and gave no answer (unknown: the payment is
    UNKNOWN); after the keys committed and before any processor call (not_found)."""
    real_charge = SandboxGateway.charge

    def took_it_but_timed_out(self, request):
        real_charge(self, request)
        raise OutcomeUnknown("timeout")

    with monkeypatch.context() as m:
        m.setattr(leases, "identity", lambda: DEAD_PROCESS)
        if case == "unknown":
            m.setattr(SandboxGateway, "charge", took_it_but_timed_out)
            run()
            return
        m.setattr(batch_record if case != "not_found" else batch, _kill_point(case), _kill)
        with pytest.raises(Killed):
            run()


def _one_chunk() -> None:
    """The night's one chunk, once (a whole run would take its own dead claims over)."""
    engine.autopay_schedule_due(on=RUN_DAY)
    ids = engine.due_debit_ids(on=RUN_DAY, now=at(RUN_DAY))
    engine.autopay_charge_chunk(ids, on=RUN_DAY, now=at(RUN_DAY))


def _kill_point(case: str) -> str:
    return "call_processor" if case == "not_found" else "record"


def _finish(finisher: str, now: dt.datetime, settings) -> None:
    if finisher.startswith("set_path"):
        # "set_path_batch": the sandbox's batch lookup (fetch_charges), one call for the chunk
        settings.AUTOPAY_PROCESSOR_BATCH = 50 if finisher == "set_path_batch" else 0
        engine.autopay_recover(now=now, on=RUN_DAY)
    else:  # the payment sweep, one payment at a time (payment_recover, autopay_finish_by_key)
        later = timezone.now() + dt.timedelta(minutes=2)
        payments_recover_stuck(now=now, on=RUN_DAY, wall=later)


def _what_happened(plan, loan) -> dict:
    debit, payment = plan.debits.get(), Payment.objects.get(loan=loan)
    events = PaymentEvent.objects.filter(payment=payment).order_by("pk")
    return {
        "debit": (debit.status, debit.reason, debit.attempts, debit.payment_id == payment.pk),
        "payment": (payment.status, payment.decline_code),
        "events": [(e.from_status, e.to_status, e.actor_label) for e in events],
        "processor_charges": SandboxCharge.objects.filter(
            idempotency_key=payment.idempotency_key
        ).count(),
        "postings": loan.postings.filter(kind="payment").count(),
        "emails": sorted(m.subject for m in mail.outbox if "automatic payment" in m.subject),
    }


SUBMITTED = ("", "submitting", "system:autopay")
EXPECTED = {
    "charged": {
        "debit": ("charged", "", 1, True),
        "payment": ("posted", ""),
        "events": [SUBMITTED, ("submitting", "posted", "system:recovery")],
        "processor_charges": 1,
        "postings": 1,
        "emails": [],
    },
    "declined": {
        "debit": ("failed", "card_declined", 1, True),
        "payment": ("failed", "card_declined"),
        "events": [SUBMITTED, ("submitting", "failed", "system:recovery")],
        "processor_charges": 1,
        "postings": 0,
        "emails": ["Your automatic payment of $483.32 didn't go through"],
    },
    "retry": {
        "debit": ("retry", "insufficient_funds", 1, True),
        "payment": ("failed", "insufficient_funds"),
        "events": [SUBMITTED, ("submitting", "failed", "system:recovery")],
        "processor_charges": 1,
        "postings": 0,
        "emails": ["Your automatic payment of $483.32 didn't go through"],
    },
    "unknown": {
        "debit": ("charged", "", 1, True),
        "payment": ("posted", ""),
        "events": [
            SUBMITTED,
            ("submitting", "unknown", "processor"),
            ("unknown", "posted", "system:recovery"),
        ],
        "processor_charges": 1,  # taken once, before the timeout: never charged twice
        "postings": 1,
        "emails": [],
    },
    "not_found": {  # never reached the processor: sent again under the same key, once
        "debit": ("charged", "", 1, True),
        "payment": ("posted", ""),
        "events": [SUBMITTED, ("submitting", "posted", "system:recovery")],
        "processor_charges": 1,
        "postings": 1,
        "emails": [],
    },
}


@pytest.mark.parametrize("finisher", ["set_path", "set_path_batch", "one_by_one"])
@pytest.mark.parametrize("case", list(CARDS))
def test_an_in_doubt_debit_ends_as_the_one_by_one_recovery_ends_it(
    case, finisher, linked_loan, add_card, enroll, monkeypatch, settings
):
    plan = enroll(linked_loan, add_card(CARDS[case]), now=at(START, 9))
    _left_in_doubt(case, monkeypatch, _one_chunk)
    debit = plan.debits.get()
    assert debit.status == "submitting"
    if finisher == "set_path_batch":
        monkeypatch.setattr(SandboxGateway, "fetch_charge", _kill)  # one key at a time: unused
    _finish(finisher, at(RUN_DAY, 6, 1), settings)
    assert _what_happened(plan, linked_loan) == EXPECTED[case]
    # Again, by both sweeps: nothing moves, nothing is charged or posted twice.
    engine.autopay_recover(now=at(RUN_DAY, 6, 2), on=RUN_DAY)
    payments_recover_stuck(
        now=at(RUN_DAY, 6, 3), on=RUN_DAY, wall=timezone.now() + dt.timedelta(minutes=4)
    )
    assert _what_happened(plan, linked_loan) == EXPECTED[case]


def test_a_payment_the_payment_sweep_holds_is_left_to_it_and_not_asked_about_twice(
    linked_loan, add_card, enroll, monkeypatch
):
    plan = enroll(linked_loan, add_card(CARDS["charged"]), now=at(START, 9))
    _left_in_doubt("charged", monkeypatch, _one_chunk)
    payment = Payment.objects.get()
    claim_many = recover.payments_claim_for_recovery

    def the_payment_sweep_first(seen, **kwargs):
        assert seen == {payment.pk: payment.submitted_at}  # what this sweep read
        assert payment_claim_for_recovery(payment.pk, seen=payment.submitted_at)  # the other
        return claim_many(seen, **kwargs)

    monkeypatch.setattr(recover, "payments_claim_for_recovery", the_payment_sweep_first)
    asked = []
    monkeypatch.setattr(SandboxGateway, "fetch_charge", lambda self, key: asked.append(key))
    outcomes = engine.autopay_recover(now=at(RUN_DAY, 6, 1), on=RUN_DAY)
    assert (outcomes["taken_over"], outcomes["pending"], asked) == (1, 1, [])
    assert (plan.debits.get().status, Payment.objects.get().status) == ("submitting", "submitting")


class _Knows:
    """A processor that took every charge and touches no database: what is counted is the
    engine's statements, not the sandbox's."""

    def charge(self, request):
        return ChargeResult(ChargeStatus.SUCCEEDED, f"ch_{request.idempotency_key}")

    def fetch_charge(self, key):
        return ChargeResult(ChargeStatus.SUCCEEDED, f"ch_{key}")


STATEMENTS_PER_RECOVERED_CHUNK = 20  # 3 in-doubt debits or 30: the same


@pytest.mark.parametrize("size", [3, 30])
def test_a_chunk_of_in_doubt_debits_is_recovered_in_the_same_number_of_statements(
    size, db, monkeypatch
):
    monkeypatch.setattr(batch, "get_gateway", _Knows)
    monkeypatch.setattr(recover, "get_gateway", _Knows)
    bulk_due_plans(size, prefix="R")
    now = dt.datetime(2026, 12, 4, 6, tzinfo=NY)
    engine.autopay_schedule_due(on=BULK_RUN_DATE)
    ids = engine.due_debit_ids(on=BULK_RUN_DATE, now=now)

    def night():
        engine.autopay_charge_chunk(ids, on=BULK_RUN_DATE, now=now)

    _left_in_doubt("charged", monkeypatch, night)
    assert AutopayDebit.objects.filter(status="submitting").count() == size
    with CaptureQueriesContext(connection) as statements:
        outcomes = engine.autopay_charge_chunk(ids, on=BULK_RUN_DATE, now=now)
    assert outcomes == {"taken_over": size, "charged": size}
    assert len(statements) == STATEMENTS_PER_RECOVERED_CHUNK
    assert AutopayDebit.objects.filter(status="charged").count() == size
    posted = Payment.objects.filter(status="posted")
    assert posted.count() == size and {p.amount for p in posted} == {Decimal("483.32")}
