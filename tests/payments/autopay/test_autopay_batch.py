# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""The set-based chunk (payments/autopay/batch.py, batch_record.py): a mixed chunk, a crash
between the committed keys and the processor call, and a statement count that does not grow
with the chunk."""

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
from django.utils import timezone

from loans.models import Loan
from payments import jobs
from payments.autopay import batch, engine, leases
from payments.gateways.base import ChargeResult, ChargeStatus
from payments.models import AutopayDebit, Payment, PaymentEvent, SandboxCharge
from payments.recovery import recovery_sweep

START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026 (installment 11)
RUN_DAY = dt.date(2026, 12, 4)  # Dec 5 2026 is a Saturday: its debit runs Friday Dec 4
DEAD_PROCESS = f"{socket.gethostname()[:60]}:4194305:1"  # above Linux's pid_max: never alive


class Killed(BaseException):
    """A SIGKILL, simulated: nothing after it runs, no `except Exception` catches it."""


def _loan_for(borrower):
    from factories import LoanFactory, LoanLinkFactory

    loan = LoanFactory(ten_paid=True, first_due_date=dt.date(2026, 2, 5))
    LoanLinkFactory(user=borrower, loan=loan)
    return loan


def test_one_chunk_charges_declines_retries_and_refuses_each_debit_by_its_own_rules(
    borrower, linked_loan, add_card, enroll
):
    cards = {
        "ok": "4242424242424242",
        "retry": "4000000000009995",  # insufficient_funds: retryable
        "fail": "4000000000000002",  # card_declined: final
        "refused": "5555555555554444",  # removed after enrolment: the charge gate refuses it
    }
    loans = {"ok": linked_loan} | {k: _loan_for(borrower) for k in ("retry", "fail", "refused")}
    plans = {k: enroll(loans[k], add_card(cards[k]), now=at(START, 9)) for k in cards}
    plans["refused"].method.removed_at = timezone.now()
    plans["refused"].method.save()
    result = jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY))
    assert (result["due"], result["charged"], result["retried"], result["failed"]) == (4, 1, 1, 2)
    debits = {k: plan.debits.get() for k, plan in plans.items()}
    assert {k: (d.status, d.reason, d.attempts) for k, d in debits.items()} == {
        "ok": ("charged", "", 1),
        "retry": ("retry", "insufficient_funds", 1),
        "fail": ("failed", "card_declined", 1),
        "refused": (
            "failed",
            "Mastercard •••• 4444 can no longer be used. Choose another method.",
            1,
        ),
    }
    assert debits["retry"].next_attempt_at == at(RUN_DAY, 6, 15)
    payments = {k: Payment.objects.filter(loan=loans[k]).first() for k in cards}
    assert payments["refused"] is None  # refused before any row: nothing sent, nothing created
    assert {k: (p.status, p.decline_code) for k, p in payments.items() if p} == {
        "ok": ("posted", ""),
        "retry": ("failed", "insufficient_funds"),
        "fail": ("failed", "card_declined"),
    }
    assert payments["ok"].loan_posting.received == payments["ok"].amount
    # The set path keeps the loan's last payment as loan_post_payment does; a decline does not.
    kept = Loan.objects.values_list("ledger_last_payment_date", "ledger_last_payment_amount")
    last = {k: kept.get(pk=loans[k].pk) for k in ("ok", "fail")}
    assert last == {"ok": (RUN_DAY, payments["ok"].amount), "fail": (None, None)}
    assert debits["ok"].payment_id == payments["ok"].pk
    events = PaymentEvent.objects.filter(payment=payments["ok"]).order_by("pk")
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", "submitting"),
        ("submitting", "posted"),
    ]
    assert SandboxCharge.objects.count() == 3
    plans["refused"].refresh_from_db()
    assert plans["refused"].status == "suspended"
    subjects = sorted(m.subject for m in mail.outbox if "automatic payment" in m.subject)
    assert len(subjects) == 3  # the retry, the decline and the refusal: one email each
    # The retry, once due, goes through the same set path under a new key.
    again = jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY, 6, 16))
    assert (again["due"], again["retried"]) == (1, 1)
    debits["retry"].refresh_from_db()
    assert (debits["retry"].attempts, debits["retry"].idempotency_key) == (
        2,
        f"autopay:{plans['retry'].pk}:20261205:2",
    )


@pytest.mark.parametrize("finisher", ["next_run", "sweep"])
def test_a_crash_after_the_keys_commit_and_before_the_processor_is_finished_once(
    finisher, linked_loan, add_card, enroll, monkeypatch
):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    with monkeypatch.context() as m:
        m.setattr(leases, "identity", lambda: DEAD_PROCESS)
        m.setattr(batch, "call_processor", lambda *a, **k: (_ for _ in ()).throw(Killed()))
        with pytest.raises(Killed):
            jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY))
    debit = plan.debits.get()
    payment = Payment.objects.get()
    key = f"autopay:{plan.pk}:20261205:1"
    assert (debit.status, debit.idempotency_key, payment.idempotency_key) == (
        "submitting",
        key,
        key,
    )
    assert payment.status == "submitting" and payment.submitted_at is not None
    assert SandboxCharge.objects.count() == 0
    if finisher == "next_run":
        jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY, 6, 1))
    else:
        recovery_sweep(now=at(RUN_DAY, 6, 1), on=RUN_DAY)
    debit.refresh_from_db()
    payment.refresh_from_db()
    assert (debit.status, debit.payment_id, payment.status) == ("charged", payment.pk, "posted")
    assert list(SandboxCharge.objects.values_list("idempotency_key", flat=True)) == [key]
    jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY, 6, 2))
    recovery_sweep(now=at(RUN_DAY, 6, 3), on=RUN_DAY)
    assert SandboxCharge.objects.count() == 1 and Payment.objects.count() == 1
    assert linked_loan.postings.filter(kind="payment").count() == 1


class _Approves:
    """A processor that approves every charge and touches no database: what is counted is the
    engine's statements, not the sandbox's."""

    def charge(self, request):
        return ChargeResult(ChargeStatus.SUCCEEDED, f"ch_{request.idempotency_key}")


STATEMENTS_PER_CHUNK = 32  # 3 debits or 30 debits: the same (savepoints included, as in a test)
# ... plus one per processor call: the mandate read again right before it (guards.py
# mandates_stopped_now). One call per charge here; with the batch API, one per 100 charges.


@pytest.mark.parametrize("size", [3, 30])
def test_a_chunk_takes_the_same_number_of_statements_whatever_its_size(
    size, db, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(batch, "get_gateway", _Approves)
    bulk_due_plans(size, prefix="S")
    now = dt.datetime(2026, 12, 4, 6, tzinfo=NY)
    engine.autopay_schedule_due(on=BULK_RUN_DATE)
    ids = engine.due_debit_ids(on=BULK_RUN_DATE, now=now)
    assert len(ids) == size
    with django_assert_max_num_queries(STATEMENTS_PER_CHUNK + size):
        outcomes = engine.autopay_charge_chunk(ids, on=BULK_RUN_DATE, now=now)
    assert outcomes == {"charged": size}
    assert AutopayDebit.objects.filter(status="charged").count() == size
    posted = Payment.objects.filter(status="posted")
    assert posted.count() == size and {p.amount for p in posted} == {Decimal("483.32")}


def test_the_sandbox_batch_api_answers_each_request_as_one_call_would(add_card):
    from payments.gateways.base import ChargeRequest, GatewayError, TemporaryGatewayError
    from payments.gateways.sandbox import SandboxGateway

    tokens = {
        k: add_card(n).processor_token
        for k, n in {"ok": "4242424242424242", "no": "4000000000000002"}.items()
    }
    tokens["error"] = add_card("4000000000000119").processor_token
    gateway = SandboxGateway()
    first = gateway.charge(ChargeRequest("k-seen", Decimal("10.00"), tokens["ok"]))
    requests = [
        ChargeRequest("k-seen", Decimal("10.00"), tokens["ok"]),  # replayed, not charged again
        ChargeRequest("k-new", Decimal("20.00"), tokens["ok"]),
        ChargeRequest("k-declined", Decimal("30.00"), tokens["no"]),
        ChargeRequest("k-error", Decimal("40.00"), tokens["error"]),
        ChargeRequest("k-seen", Decimal("99.00"), tokens["ok"]),  # the key, other parameters
        ChargeRequest("k-nobody", Decimal("50.00"), "tok_missing"),
    ]
    answers = gateway.charge_many(requests)
    assert answers[0] == first
    assert (answers[1].status, answers[2].status, answers[2].decline_code) == (
        "succeeded",
        "failed",
        "card_declined",
    )
    assert isinstance(answers[3], TemporaryGatewayError) and str(answers[3]) == "processing_error"
    assert type(answers[4]) is GatewayError and type(answers[5]) is GatewayError
    assert SandboxCharge.objects.count() == 3  # k-seen, k-new, k-declined
