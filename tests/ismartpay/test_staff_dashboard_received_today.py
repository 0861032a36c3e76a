"""New-user review of the staff dashboard: money received today that went to suspense was
left out of "today's payments" (a lockbox line for an unknown loan, a money order on a paid-off
loan held whole), and a phone payment taken after the cut-off counted on the next day."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory
from staff_helpers import NOW, TODAY, make_staff, staff_client

from accounts.roles import SUPPORT_AGENT
from ismartpay.staff_dashboard import staff_dashboard
from payments.gateways.base import CardInput
from payments.models import Payment, SuspenseItem
from payments.services.phone import payment_take_by_phone
from payments.services.received import payment_record_received
from payments.services.remittance import remittance_import
from payments.services.suspense import suspense_apply

pytestmark = pytest.mark.django_db
WEDNESDAY = dt.date(2026, 11, 25)
AFTER_CUTOFF = dt.datetime(2026, 11, 24, 22, 30, tzinfo=dt.UTC)  # 17:30 in New York


def channels(today=TODAY):
    d = staff_dashboard(today=today)
    by_channel = [(f.key, f.count, f.amount) for f in d.payments_by_channel]
    return by_channel, (d.payments_total.count, d.payments_total.amount)


def lockbox_file(loan, other):
    return (
        "loan_number,amount,date,reference\n"
        f"{loan.loan_number},50.00,2026-11-24,LB-1\n"
        f"{other.loan_number},75.00,2026-11-24,LB-2\n"
        "NO-SUCH-LOAN,40.00,2026-11-24,LB-3\n"
    )


def paid_off_loan(lender):
    return LoanFactory(
        lender=lender,
        principal_balance=Decimal("0.00"),
        status="paid_off",
        interest_accrued_through=TODAY,
    )


def test_a_lockbox_line_held_for_an_unknown_loan_is_money_received_today(linked_loan):
    other = LoanFactory(lender=linked_loan.lender, interest_accrued_through=TODAY)
    with time_machine.travel(NOW, tick=False):
        result = remittance_import(
            text=lockbox_file(linked_loan, other),
            channel="lockbox",
            lender=linked_loan.lender,
            actor=None,
            today=TODAY,
        )
    assert (result.errors, result.posted, result.held) == ([], 2, 1)

    assert channels() == ([("lockbox", 3, Decimal("165.00"))], (3, Decimal("165.00")))


def test_a_money_order_held_whole_on_a_paid_off_loan_counts_once_even_when_applied(linked_loan):
    with time_machine.travel(NOW, tick=False):
        held = payment_record_received(
            loan_id=paid_off_loan(linked_loan.lender).pk,
            channel="money_order",
            amount=Decimal("15.00"),
            effective_date=TODAY,
            reference="MO-15",
            actor=None,
        ).suspense
        assert (held.amount, held.payment) == (Decimal("15.00"), None)
        assert channels() == ([("money_order", 1, Decimal("15.00"))], (1, Decimal("15.00")))

        suspense_apply(
            item_id=held.pk,
            loan_id=linked_loan.pk,
            amount=Decimal("15.00"),
            reason="Borrower called: it was meant for the open loan",
            actor=None,
        )
    assert Payment.objects.filter(status="posted").count() == 1
    assert channels() == ([("money_order", 1, Decimal("15.00"))], (1, Decimal("15.00")))


def test_money_partly_held_counts_once_as_the_payment_that_brought_it(linked_loan):
    with time_machine.travel(NOW, tick=False):
        payment_record_received(
            loan_id=linked_loan.pk,
            channel="check",
            amount=Decimal("22000.00"),
            effective_date=TODAY,
            reference="5001",
            actor=None,
        )
    assert SuspenseItem.objects.get().amount == Decimal("598.26")
    assert channels() == ([("check", 1, Decimal("22000.00"))], (1, Decimal("22000.00")))


CARD = CardInput(
    number="4242424242424242", exp_month=12, exp_year=2030, cvc="864", postal_code="10001"
)


def test_a_phone_payment_taken_after_the_cutoff_counts_on_the_day_it_was_taken(linked_loan):
    with time_machine.travel(AFTER_CUTOFF, tick=False):
        payment = payment_take_by_phone(
            loan_id=linked_loan.pk,
            amount=Decimal("483.32"),
            authorized_by="Dana Demo",
            actor=make_staff(SUPPORT_AGENT),
            idempotency_key="phone:late",
            card=CARD,
        )
    assert (payment.status, payment.effective_date) == ("posted", WEDNESDAY)

    assert channels(TODAY) == ([("phone", 1, Decimal("483.32"))], (1, Decimal("483.32")))
    assert channels(WEDNESDAY) == ([], (0, Decimal("0.00")))


def test_the_phone_confirmation_says_when_a_late_payment_counts_on_the_loan(client, linked_loan):
    agent = staff_client(make_staff(SUPPORT_AGENT))
    with time_machine.travel(AFTER_CUTOFF, tick=False):
        url = "/admin/payments/payment/phone/"
        key = agent.get(url).context["form"].initial["idempotency_key"]
        response = agent.post(
            url,
            {
                "loan_number": linked_loan.loan_number,
                "amount": "483.32",
                "kind": "card",
                "card_number": "4242 4242 4242 4242",
                "card_exp": "12/30",
                "card_cvc": "864",
                "card_zip": "10001",
                "authorized_by": "Dana Demo",
                "authorization_read": "on",
                "idempotency_key": key,
            },
            follow=True,
        )
    payment = Payment.objects.get()
    assert [str(m) for m in response.context["messages"]] == [
        f"Posted. Confirmation number {payment.reference} — read it back to the borrower. "
        "It counts on the loan on Wednesday, November 25, 2026 (the next business day)."
    ]
