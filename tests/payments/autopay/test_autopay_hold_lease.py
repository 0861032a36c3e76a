# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""Review (attacker, second pass on F2): the payment sweep's hold on an autopay debit
(claims.autopay_hold_by_key) is leased for STUCK_AFTER (60 s) and never renewed, while its
processor call has no time limit of ours (no gateway timeout is configured). A resend that is
still at the processor when the hold runs out lets the autopay sweep take the debit over: its
payment claim is a compare-and-set from whatever `submitted_at` is now (never "is it stale"),
the processor has no record of the open call yet, and a mandate stopped meanwhile makes its
resend a refusal that CANCELS the payment. The first call then takes the money and
`payment_record_result` leaves a cancelled payment as it is: money taken, nothing posted,
nothing refunded."""

import datetime as dt

import pytest
from autopay_fixtures import enroll, inline_charges  # noqa: F401
from django.utils import timezone
from factories import UserFactory
from test_autopay_recover_guards import _charged, _crashed_before_the_processor
from test_autopay_recover_set import RUN_DAY, _finish, at

from loans.collections import account_flag_set
from payments.autopay import engine
from payments.gateways.sandbox import SandboxGateway
from payments.models import Payment


# 30 s: within the hold (what held: the autopay sweep leaves it); 90 s: past it (the finding)
@pytest.mark.parametrize("seconds", [30, 90])
def test_a_resend_outliving_the_sweeps_hold_never_ends_cancelled_with_the_money_taken(
    seconds, linked_loan, add_card, enroll, monkeypatch, settings
):
    _plan, payment = _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch)
    real_charge, real_now, calls = SandboxGateway.charge, timezone.now, []

    def slow_charge(self, request):
        calls.append(request.idempotency_key)
        if len(calls) == 1:  # the payment sweep's resend, `seconds` at the processor
            monkeypatch.setattr(timezone, "now", lambda: real_now() + dt.timedelta(seconds=seconds))
            account_flag_set(
                loan_id=linked_loan.pk,
                kind="bankruptcy",
                start_date=RUN_DAY,
                end_date=None,
                reason="filed while the resend was at the processor",
                actor=UserFactory(is_staff=True),
            )
            engine.autopay_recover(now=at(RUN_DAY, 6, 3), on=RUN_DAY)  # the next minute's sweep
        return real_charge(self, request)  # the processor takes the first call's money

    monkeypatch.setattr(SandboxGateway, "charge", slow_charge)
    _finish("one_by_one", at(RUN_DAY, 6, 1), settings)
    status = Payment.objects.get(pk=payment.pk).status
    # Either nothing taken and cancelled, or the money taken and recorded: never money taken and
    # kept on a cancelled payment. 90 s: the takeover cancelled it, then the first call took the
    # money: the capture is recorded and given back whole.
    after = Payment.objects.get(pk=payment.pk)
    if (_charged(payment), status) == (1, "cancelled"):
        assert seconds == 90
        assert after.unapplied_amount == after.amount
        assert after.unapplied_refunded_at is not None and after.unapplied_refund_ref
        assert after.events.filter(detail__has_key="late_capture").count() == 1
    else:
        assert seconds == 30
