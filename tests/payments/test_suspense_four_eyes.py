"""Suspense refunds of processor money under four eyes: claimed with the request executed in
one transaction, sent after the commit under the step's own key, and resent (never refunded
twice) by the recovery sweep when the process died in between."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory
from staff_money_helpers import TODAY, TUESDAY, make_staff

from accounts.roles import SUPERVISOR
from loans.staff_requests import staff_action_submit, staff_request_approve
from payments.models import SandboxRefund, SuspenseAction
from payments.recovery import recovery_sweep
from payments.services.suspense import suspense_move_payment, suspense_refund

pytestmark = pytest.mark.django_db
REASON = "Borrower called about it"


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


@pytest.fixture
def card_excess(linked_loan, borrower, add_card, pay):
    """$83.32 of card money in suspense: a $483.32 card payment moved to a $400.00 loan."""
    payment = pay(linked_loan, add_card("4242424242424242"), "483.32", payer=borrower)
    right = LoanFactory(
        lender=linked_loan.lender,
        principal_balance=Decimal("400.00"),
        interest_accrued_through=TODAY,
    )
    return suspense_move_payment(
        payment_id=payment.pk, to_loan_id=right.pk, reason=REASON, actor=make_staff(SUPERVISOR)
    ).suspense


def test_an_approved_suspense_refund_of_card_money_is_refunded_once(card_excess):
    card_excess.loan.lender.four_eyes_threshold = Decimal("50.00")
    card_excess.loan.lender.save(update_fields=["four_eyes_threshold"])
    request = staff_action_submit(
        kind="suspense_refund",
        loan_id=card_excess.loan_id,
        amount=Decimal("83.32"),
        reason=REASON,
        actor=make_staff(SUPERVISOR),
        on=TODAY,
        params={"item": card_excess.pk},
        token="refund-once",
    ).request
    assert request.status == "pending"

    staff_request_approve(request_id=request.pk, actor=make_staff(SUPERVISOR), on=TODAY)

    request.refresh_from_db()
    step = SuspenseAction.objects.get(pk=request.params["step"])
    assert [r.amount_cents for r in SandboxRefund.objects.all()] == [8332]
    assert (request.status, step.kind) == ("executed", "refunded")
    card_excess.refresh_from_db()
    assert (card_excess.balance, card_excess.status) == (Decimal("0.00"), "cleared")


def test_a_claimed_suspense_refund_never_sent_is_resent_once_by_the_sweep(card_excess):
    step = suspense_refund(  # claimed and committed, then the process died before sending
        item_id=card_excess.pk, amount=Decimal("83.32"), reason=REASON, actor=None, send=False
    )
    assert (step.kind, SandboxRefund.objects.count()) == ("refunding", 0)

    with time_machine.travel(TUESDAY + dt.timedelta(minutes=2), tick=False):
        first = recovery_sweep()
        again = recovery_sweep()

    step.refresh_from_db()
    assert (first["suspense_refunds_resent"], "suspense_refunds_resent" in again) == (1, False)
    assert step.kind == "refunded"
    assert [r.amount_cents for r in SandboxRefund.objects.all()] == [8332]


def test_the_sweep_never_refunds_card_money_that_is_held_in_suspense(card_excess):
    # The moved payment's excess is held in suspense (refunded from there, with four eyes):
    # the sweep's refund of unapplied card money must not send it back a second time.
    with time_machine.travel(TUESDAY + dt.timedelta(minutes=2), tick=False):
        recovery_sweep()

    card_excess.refresh_from_db()
    assert (card_excess.balance, SandboxRefund.objects.count()) == (Decimal("83.32"), 0)
