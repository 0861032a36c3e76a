"""A returned check is dated the loan's lender's business date (the attacker review helper-80
saw `business_date()` without the lender: New York's date for every lender)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from factories import LenderFactory, LoanFactory

from loans.models import LoanPosting
from payments.services.received import payment_record_received
from payments.services.returned_checks import payment_return_received

pytestmark = pytest.mark.django_db


def test_a_check_returned_in_a_western_lenders_evening_is_dated_that_day():
    loan = LoanFactory(
        ten_paid=True, lender=LenderFactory(name="West", timezone="America/Los_Angeles")
    )
    with time_machine.travel(dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC), tick=False):
        payment = payment_record_received(
            loan_id=loan.pk,
            channel="check",
            amount=Decimal("483.32"),
            effective_date=dt.date(2026, 12, 1),
            reference="1234",
            actor=None,
            reason="Mailed to the lockbox",
        ).payment
    # 06:30 UTC Dec 4: 01:30 Dec 4 in New York, 22:30 Dec 3 in Los Angeles.
    with time_machine.travel(dt.datetime(2026, 12, 4, 6, 30, tzinfo=dt.UTC), tick=False):
        payment_return_received(
            payment_id=payment.pk, return_code="NSF", reason="Bank returned it", actor=None
        )
    fee = LoanPosting.objects.get(loan=loan, kind="nsf_fee")
    assert (fee.effective_date, fee.fees) == (dt.date(2026, 12, 3), Decimal("-25.00"))
