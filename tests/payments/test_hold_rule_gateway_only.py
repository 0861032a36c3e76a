"""Second new-user review of the staff console: the "5+ attempts on this loan in an hour" rule
(payments/risk.py) counted money received in hand (lockbox lines, a recorded check #2002) as
payment attempts and held a valid phone payment. Only charges tried through the processor
(borrower, guest, phone, autopay) are attempts."""

from decimal import Decimal

import pytest
import time_machine
from staff_money_helpers import TODAY, TUESDAY, make_staff

from accounts.roles import SUPPORT_AGENT
from payments.gateways.base import CardInput
from payments.models import Payment
from payments.services.phone import payment_take_by_phone
from payments.services.received import payment_record_received
from payments.services.remittance import remittance_import

pytestmark = pytest.mark.django_db
CARD = CardInput(
    number="4242424242424242", exp_month=12, exp_year=2030, cvc="864", postal_code="10001"
)


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def phone(loan, key, amount="483.32"):
    return payment_take_by_phone(
        loan_id=loan.pk,
        amount=Decimal(amount),
        authorized_by="Dana Demo",
        actor=make_staff(SUPPORT_AGENT),
        idempotency_key=key,
        card=CARD,
        confirm_duplicate=True,
    )


def test_money_received_in_hand_is_not_a_payment_attempt_for_the_hold_rule(linked_loan):
    lockbox = "loan_number,amount,date,reference\n" + "".join(
        f"{linked_loan.loan_number},10.00,2026-11-24,LB-{n}\n" for n in range(1, 5)
    )
    remittance_import(text=lockbox, channel="lockbox", lender=linked_loan.lender, actor=None)
    payment_record_received(
        loan_id=linked_loan.pk,
        channel="check",
        amount=Decimal("20.00"),
        effective_date=TODAY,
        reference="2002",
        actor=None,
        reason="Mailed to the office",
    )
    assert Payment.objects.filter(loan=linked_loan).count() == 5  # 4 lockbox lines + check
    payment = phone(linked_loan, "phone:valid")
    assert (payment.status, payment.risk_flags) == ("posted", [])


def test_five_gateway_attempts_in_an_hour_still_hold_the_sixth(linked_loan):
    for n in range(5):
        phone(linked_loan, f"phone:{n}", amount="10.00")
    sixth = phone(linked_loan, "phone:5", amount="10.00")
    assert (sixth.status, sixth.risk_flags) == ("held", ["5+ attempts on this loan in an hour"])
