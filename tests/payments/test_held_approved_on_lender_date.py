"""Staff approving a held payment compare its chosen day with the loan's lender's business
date (the attacker review helper-80): with New York's date, a payment a Los Angeles borrower
scheduled for the lender's tomorrow was charged at once, a day early."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from factories import LenderFactory, LoanFactory, LoanLinkFactory

from payments.models import Payment
from payments.services import new_idempotency_key, payment_review_approve, payment_submit

pytestmark = pytest.mark.django_db

# 06:30 UTC Dec 6: 01:30 Dec 6 in New York, 22:30 Dec 5 in Los Angeles.
LA_EVENING_OF_DEC_5 = dt.datetime(2026, 12, 6, 6, 30, tzinfo=dt.UTC)


def _held_for(borrower, card, loan, day: dt.date) -> Payment:
    held = payment_submit(
        loan_id=loan.pk,
        method=card,
        amount=Decimal("5000.00"),  # a new card paying more than 3 installments: held
        idempotency_key=new_idempotency_key(),
        payer=borrower,
        payer_email=borrower.email,
        scheduled_for=day,
        confirm_duplicate=True,
        now=timezone.now(),
    )
    assert (held.status, held.scheduled_for) == (Payment.Status.HELD, day)
    return held


@pytest.mark.parametrize(
    ("zone", "status"),
    [
        ("America/Los_Angeles", Payment.Status.SCHEDULED),  # Dec 6 is the lender's tomorrow
        ("America/New_York", Payment.Status.POSTED),  # Dec 6 is the lender's today: charged
    ],
)
def test_a_held_payment_approved_stays_scheduled_until_the_lenders_day_comes(
    borrower, add_card, admin_user, zone, status
):
    loan = LoanFactory(ten_paid=True, lender=LenderFactory(name=zone, timezone=zone))
    LoanLinkFactory(user=borrower, loan=loan)
    with time_machine.travel(LA_EVENING_OF_DEC_5, tick=False):
        held = _held_for(borrower, add_card("4242424242424242"), loan, dt.date(2026, 12, 6))
        approved = payment_review_approve(payment_id=held.pk, actor=admin_user)
    assert approved.status == status
