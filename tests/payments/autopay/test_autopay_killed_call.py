# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""A processor call whose thread a BaseException ends (the tests' simulated kill) after the
processor took the money is left in doubt — SUBMITTING, for the sweep to resolve by key — not
recorded as a decline with no code (the attacker review of 31a85ff: the payment FAILED while
the money was taken, and the debit went to RETRY for a second charge under a new key)."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from autopay_fixtures import at, enroll, inline_charges  # noqa: F401

from payments.autopay import engine
from payments.autopay.pipeline import close_callers
from payments.gateways.sandbox import SandboxGateway
from payments.models import AutopayDebit, Payment, SandboxCharge

START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026, installment 483.32
DAY = dt.date(2026, 12, 4)  # Dec 5's run date (a Saturday: the Friday before)


class Killed(BaseException):
    """A kill where the call stands (no except clause of the product catches it)."""


@pytest.mark.django_db(transaction=True)
def test_a_call_killed_after_the_processor_took_the_money_is_resolved_by_key(
    linked_loan, add_card, enroll, monkeypatch, settings
):
    settings.AUTOPAY_CHARGE_CONCURRENCY = 2  # the calls run on the shared Caller's threads
    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # the kill is expected
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    real_charge = SandboxGateway.charge

    def took_then_killed(self, request):
        real_charge(self, request)
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(SandboxGateway, "charge", took_then_killed)
        try:
            engine.autopay_schedule_due(on=DAY)
            ids = engine.due_debit_ids(on=DAY, now=at(DAY))
            engine.autopay_charge_chunk(ids, on=DAY, now=at(DAY))
        finally:
            close_callers()

    debit = AutopayDebit.objects.get(plan=plan)
    payment = Payment.objects.get(idempotency_key=debit.idempotency_key)
    assert (debit.status, payment.status) == ("submitting", "submitting")

    engine.autopay_recover(now=at(DAY, 6, 5), on=DAY)  # the sweep asks the processor by key

    debit.refresh_from_db()
    payment.refresh_from_db()
    assert (debit.status, debit.attempts, payment.status) == ("charged", 1, "posted")
    assert payment.amount == Decimal("483.32")
    assert SandboxCharge.objects.count() == 1
