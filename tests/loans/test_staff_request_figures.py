"""New-user review of the staff console's four-eyes figures: a supervisor approved on balances
computed when the request was made, the returned-check preview left out the returned-payment
fee, and an ordinary monthly check needed a supervisor."""

from decimal import Decimal

import pytest
import time_machine
from staff_helpers import NOW, TODAY, make_staff, staff_client

from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans.four_eyes import snapshot
from loans.models import StaffRequest
from loans.selectors import loan_balances_on
from loans.staff_requests import staff_action_submit, staff_request_approve
from payments.services.received import payment_record_received

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def received(loan, amount, reference, channel="check"):
    return payment_record_received(
        loan_id=loan.pk,
        channel=channel,
        amount=Decimal(amount),
        effective_date=TODAY,
        reference=reference,
        actor=None,
    )


def now_on(loan):
    loan.refresh_from_db()
    return snapshot(loan_balances_on(loan, TODAY))


# --- 2. the returned-check preview adds the returned-payment fee ------------------------------


def test_the_returned_check_preview_adds_the_lenders_fee_as_the_return_assesses_it(linked_loan):
    payment = received(linked_loan, "483.32", "5001").payment
    outcome = staff_action_submit(
        kind=StaffRequest.Kind.RETURN_CHECK,
        loan_id=linked_loan.pk,
        payment_id=payment.pk,
        reason="Returned unpaid by the bank",
        actor=make_staff(SUPERVISOR),
        on=TODAY,
        params={"return_code": "NSF"},
    )
    request = outcome.request
    assert request.before == {
        "principal": "20918.42",
        "interest": "0.00",
        "fees": "0.00",
        "payoff": "20918.42",
    }
    assert request.after == {
        "principal": "21335.10",
        "interest": "66.64",
        "fees": "25.00",
        "payoff": "21426.74",
    }

    staff_request_approve(request_id=request.pk, actor=make_staff(SUPERVISOR), on=TODAY)

    assert now_on(linked_loan) == request.after


def test_no_fee_is_previewed_when_the_lender_charges_none(linked_loan):
    linked_loan.lender.nsf_fee = Decimal("0.00")
    linked_loan.lender.save(update_fields=["nsf_fee"])
    payment = received(linked_loan, "483.32", "5001").payment
    outcome = staff_action_submit(
        kind=StaffRequest.Kind.RETURN_CHECK,
        loan_id=linked_loan.pk,
        payment_id=payment.pk,
        reason="Returned unpaid by the bank",
        actor=make_staff(SUPERVISOR),
        on=TODAY,
        params={"return_code": "NSF"},
    )
    assert (outcome.request.after["fees"], outcome.request.after["payoff"]) == (
        "0.00",
        "21401.74",
    )
