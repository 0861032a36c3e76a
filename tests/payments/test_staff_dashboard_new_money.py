"""Attacker review (staff console): "today's payments by channel" counted money applied from
suspense, and moved payments, as new money. It counts money received today only."""

from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory
from staff_money_helpers import TODAY, TUESDAY

from ismartpay.staff_dashboard import staff_dashboard
from payments.models import Payment
from payments.services.received import payment_record_received
from payments.services.suspense import suspense_apply, suspense_move_payment

pytestmark = pytest.mark.django_db
REASON = "Borrower called about it"


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def loan_of(lender):
    return LoanFactory(
        lender=lender, principal_balance=Decimal("10000.00"), interest_accrued_through=TODAY
    )


def check(loan, amount, reference):
    return payment_record_received(
        loan_id=loan.pk,
        channel="check",
        amount=Decimal(amount),
        effective_date=TODAY,
        reference=reference,
        actor=None,
    )


def channels():
    d = staff_dashboard(today=TODAY)
    by_channel = [(f.key, f.count, f.amount) for f in d.payments_by_channel]
    return by_channel, (d.payments_total.count, d.payments_total.amount)


def test_money_applied_from_suspense_is_not_counted_again(linked_loan):
    held = check(linked_loan, "22000.00", "5001").suspense  # $598.26 above the payoff, held
    assert channels() == ([("check", 1, Decimal("22000.00"))], (1, Decimal("22000.00")))
    suspense_apply(
        item_id=held.pk,
        loan_id=loan_of(linked_loan.lender).pk,
        amount=Decimal("500.00"),
        reason=REASON,
        actor=None,
    )
    assert Payment.objects.filter(status="posted").count() == 2
    assert channels() == ([("check", 1, Decimal("22000.00"))], (1, Decimal("22000.00")))


def test_a_payment_moved_today_counts_once(linked_loan):
    wrong, right = loan_of(linked_loan.lender), loan_of(linked_loan.lender)
    posted = check(wrong, "100.00", "5002").payment
    check(linked_loan, "50.00", "5003")
    suspense_move_payment(payment_id=posted.pk, to_loan_id=right.pk, reason=REASON, actor=None)
    assert Payment.objects.filter(effective_date=TODAY).count() == 3
    assert channels() == ([("check", 2, Decimal("150.00"))], (2, Decimal("150.00")))


def test_a_payment_reversed_without_a_move_is_not_counted(linked_loan):
    from payments.services.lifecycle import payment_reverse

    posted = check(linked_loan, "100.00", "5004").payment
    payment_reverse(payment_id=posted.pk, reason=REASON, actor=None)
    assert channels() == ([], (0, Decimal("0.00")))


def test_a_payment_received_yesterday_and_moved_today_is_not_todays_money(linked_loan):
    wrong, right = loan_of(linked_loan.lender), loan_of(linked_loan.lender)
    posted = payment_record_received(
        loan_id=wrong.pk,
        channel="check",
        amount=Decimal("100.00"),
        effective_date=TODAY.replace(day=23),
        reference="5005",
        actor=None,
    ).payment
    moved = suspense_move_payment(
        payment_id=posted.pk, to_loan_id=right.pk, reason=REASON, actor=None
    ).payment
    assert moved.effective_date == TODAY  # the right loan had accrued through today
    assert channels() == ([], (0, Decimal("0.00")))
