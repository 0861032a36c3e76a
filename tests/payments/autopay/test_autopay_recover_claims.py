# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""Who may send an in-doubt autopay payment's key again: only the holder of a live claim. The
payment sweep holds the payment's claim and its debit's (so the autopay takeover leaves the
debit to it), leaves a payment whose debit a live claim holds to that holder, and a resend
renews its claim by compare-and-set, sending nothing if another sweep took the claim."""

import datetime as dt

from autopay_fixtures import enroll, inline_charges  # noqa: F401
from django.utils import timezone
from test_autopay_recover_guards import _charged, _crashed_before_the_processor
from test_autopay_recover_set import RUN_DAY, _finish, at

from payments.autopay import engine, leases
from payments.gateways.sandbox import SandboxGateway
from payments.models import AutopayDebit, Payment
from payments.recovery import payment_claim_for_recovery, payments_recover_stuck
from payments.services.charging import payment_resend


def test_the_autopay_sweep_leaves_a_debit_the_payment_sweep_is_charging_which_ends_charged_once(
    linked_loan, add_card, enroll, monkeypatch, settings
):
    plan, payment = _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch)
    real_charge, took_over = SandboxGateway.charge, []

    def charge(self, request):
        took_over.append(engine.autopay_recover(now=at(RUN_DAY, 6, 2), on=RUN_DAY))
        return real_charge(self, request)

    monkeypatch.setattr(SandboxGateway, "charge", charge)
    _finish("one_by_one", at(RUN_DAY, 6, 1), settings)
    debit = plan.debits.get()
    assert (took_over, _charged(payment)) == ([{}], 1)
    assert (debit.status, Payment.objects.get(pk=payment.pk).status) == ("charged", "posted")


def test_the_payment_sweep_leaves_an_autopay_payment_whose_debit_a_live_claim_holds(
    linked_loan, add_card, enroll, monkeypatch
):
    plan, payment = _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch)
    live = leases.new_token()  # this process: alive
    AutopayDebit.objects.filter(plan=plan).update(
        claimed_by=live, lease_until=timezone.now() + dt.timedelta(seconds=30)
    )
    later = timezone.now() + dt.timedelta(minutes=2)
    outcomes = payments_recover_stuck(now=at(RUN_DAY, 6, 1), on=RUN_DAY, wall=later)
    held = Payment.objects.get(pk=payment.pk)
    assert (outcomes["held_elsewhere"], _charged(payment)) == (1, 0)
    assert (held.status, held.submitted_at) == ("submitting", payment.submitted_at)
    assert plan.debits.get().claimed_by == live


def test_a_resend_whose_claim_another_sweep_took_sends_nothing_and_keeps_that_claim(
    linked_loan, add_card, enroll, monkeypatch
):
    _plan, payment = _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch)
    mine, theirs = (timezone.now() + dt.timedelta(minutes=m) for m in (2, 3))
    assert payment_claim_for_recovery(payment.pk, seen=payment.submitted_at, wall=mine)
    assert payment_claim_for_recovery(payment.pk, seen=mine, wall=theirs)  # e.g. a later sweep
    resent = payment_resend(payment_id=payment.pk, held=mine)
    assert (resent.status, resent.submitted_at, _charged(payment)) == ("submitting", theirs, 0)
