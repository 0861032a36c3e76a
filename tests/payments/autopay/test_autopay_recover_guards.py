# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""Review (attacker), issue 15's recovery set path: what changed between the crash and the
recovery must stop a resend exactly as it stops a fresh debit. The house rule (architecture.md,
reliability-targets 11a): every money guard runs again under the loan's lock right before the
processor is called, on every path including recovery. A fresh debit is skipped for a
bankruptcy/deceased flag and for a plan that is not ACTIVE (batch._decide,
engine.autopay_charge_debit); `payment_resend` runs only `charge_refusal`, which checks neither."""

import datetime as dt

import pytest
from autopay_fixtures import enroll, inline_charges  # noqa: F401
from factories import UserFactory
from test_autopay_recover_set import CARDS, RUN_DAY, START, _finish, _left_in_doubt, _one_chunk, at

from loans.models import Loan
from loans.models_collections import AccountFlag
from payments.autopay.system_stops import autopay_suspend
from payments.models import Payment, SandboxCharge

FINISHERS = ["set_path", "one_by_one"]


def _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch):
    """The night's debit: its payment committed SUBMITTING under its key, then the process died
    before any processor call (the processor has no record of the key)."""
    plan = enroll(linked_loan, add_card(CARDS["not_found"]), now=at(START, 9))
    _left_in_doubt("not_found", monkeypatch, _one_chunk)
    payment = Payment.objects.get(loan=linked_loan)
    assert (payment.status, SandboxCharge.objects.count()) == ("submitting", 0)
    return plan, payment


def _charged(payment) -> int:
    return SandboxCharge.objects.filter(idempotency_key=payment.idempotency_key).count()


@pytest.mark.parametrize("finisher", FINISHERS)
@pytest.mark.parametrize("kind", ["bankruptcy", "deceased"])
def test_a_bankruptcy_or_deceased_flag_set_after_the_crash_stops_the_resend(
    kind, finisher, linked_loan, add_card, enroll, monkeypatch, settings
):
    _plan, payment = _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch)
    AccountFlag.objects.create(
        loan=linked_loan,
        kind=kind,
        start_date=RUN_DAY,
        reason="filed on the morning of the run",
        set_by=UserFactory(is_staff=True),
    )
    _finish(finisher, at(RUN_DAY, 6, 1), settings)
    # A fresh debit on a flagged loan is skipped with 0 charges; the resent one must be too.
    assert _charged(payment) == 0
    assert Payment.objects.get(pk=payment.pk).status != "posted"


@pytest.mark.parametrize("finisher", FINISHERS)
def test_a_plan_suspended_after_the_crash_is_not_charged_by_the_resend(
    finisher, linked_loan, add_card, enroll, monkeypatch, settings
):
    plan, payment = _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch)
    # e.g. an earlier debit came back R10 (unauthorized): autopay stops until re-authorized.
    autopay_suspend(plan_id=plan.pk, reason="R10: the customer says the debit was unauthorized")
    _finish(finisher, at(RUN_DAY, 6, 1), settings)
    assert _charged(payment) == 0


# --- what held (the charge gate's own checks do run on the resend) -----------------------------
@pytest.mark.parametrize("finisher", FINISHERS)
def test_a_loan_paid_off_after_the_crash_is_not_charged_by_the_resend(
    finisher, linked_loan, add_card, enroll, monkeypatch, settings
):
    _plan, payment = _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch)
    Loan.objects.filter(pk=linked_loan.pk).update(status=Loan.Status.PAID_OFF)
    _finish(finisher, at(RUN_DAY, 6, 1), settings)
    assert (_charged(payment), Payment.objects.get(pk=payment.pk).status) == (0, "cancelled")


@pytest.mark.parametrize("finisher", FINISHERS)
def test_a_card_removed_after_the_crash_is_not_charged_by_the_resend(
    finisher, linked_loan, add_card, enroll, monkeypatch, settings
):
    plan, payment = _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch)
    type(plan.method).objects.filter(pk=plan.method_id).update(removed_at=dt.datetime.now(dt.UTC))
    _finish(finisher, at(RUN_DAY, 6, 1), settings)
    assert (_charged(payment), Payment.objects.get(pk=payment.pk).status) == (0, "cancelled")


def test_two_sweeps_at_once_send_the_same_key_to_the_processor_once(
    linked_loan, add_card, enroll, monkeypatch, settings
):
    """The payment sweep has claimed the payment and is in its processor call when the autopay
    sweep takes the dead debit over. The set path's compare-and-set takes the payment's live
    claim (it never asks that the claim be stale), finds no charge yet, and `payment_resend`
    clears the live claim (`submitted_at = None`, unconditionally) and calls the processor
    again under the same key while the first call is still open. The sandbox replays the key;
    a processor that answers a concurrent duplicate key with an error (Stripe: 409) would have
    the second call recorded as a failure while the first took the money."""
    from payments.autopay import engine
    from payments.gateways.sandbox import SandboxGateway

    _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch)
    real_charge, calls = SandboxGateway.charge, []

    def charge(self, request):
        calls.append(request.idempotency_key)
        if len(calls) == 1:  # the payment sweep's call is open: the autopay sweep runs now
            engine.autopay_recover(now=at(RUN_DAY, 6, 2), on=RUN_DAY)
        return real_charge(self, request)

    monkeypatch.setattr(SandboxGateway, "charge", charge)
    _finish("one_by_one", at(RUN_DAY, 6, 1), settings)
    assert len(calls) == 1


@pytest.mark.parametrize("finisher", FINISHERS)
def test_a_resend_the_gate_refuses_tells_the_borrower_once(
    finisher, linked_loan, add_card, enroll, monkeypatch, settings
):
    """The card was removed after the crash: the charge gate cancels the resend and the debit
    fails, told by the autopay's email. Before, the plain "was cancelled before it was sent"
    went too (the attacker review of 31a85ff)."""
    from payments.models import Notice

    plan, payment = _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch)
    before = set(Notice.objects.values_list("pk", flat=True))
    type(plan.method).objects.filter(pk=plan.method_id).update(removed_at=dt.datetime.now(dt.UTC))

    _finish(finisher, at(RUN_DAY, 6, 1), settings)

    assert Payment.objects.get(pk=payment.pk).status == "cancelled"
    told = Notice.objects.exclude(pk__in=before).values_list("kind", flat=True)
    assert [kind for kind in told if kind in ("payment_cancelled", "autopay_failed")] == [
        "autopay_failed"
    ]
