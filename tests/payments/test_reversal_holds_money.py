"""Attacker review (staff console): reversing a check made its money vanish — refusing its
refund says "Reverse it, then refund the money from suspense", but the reversal held nothing in
suspense. Reversing a payment whose money the lender holds (posted or settled, any channel)
now holds what reached the loan in suspense (reason `reversed`, key `reversed:<payment>`), so
it can be applied, moved or refunded; a pending bank debit holds nothing (its money has not
arrived); a move holds only what the right loan cannot take."""

from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory
from staff_money_helpers import TODAY, TUESDAY, make_staff

from accounts.roles import SUPERVISOR
from loans.models import LoanPosting
from loans.staff_requests import StaffActionError, staff_action_submit
from payments.errors import PaymentError
from payments.models import Payment, SandboxRefund, SuspenseItem
from payments.services.lifecycle import payment_reverse
from payments.services.received import payment_record_received
from payments.services.suspense import suspense_move_payment, suspense_refund

pytestmark = pytest.mark.django_db
REASON = "Recorded on the wrong loan by mistake"


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def check(loan, amount="80.00", reference="C9"):
    return payment_record_received(
        loan_id=loan.pk,
        channel="check",
        amount=Decimal(amount),
        effective_date=TODAY,
        reference=reference,
        actor=None,
    )


def test_a_reversed_check_is_held_in_suspense_and_refunded_by_an_outgoing_check(linked_loan):
    supervisor = make_staff(SUPERVISOR)
    payment = check(linked_loan).payment
    with pytest.raises(StaffActionError, match="Reverse it, then refund the money from suspense"):
        staff_action_submit(
            kind="refund",
            loan_id=linked_loan.pk,
            payment_id=payment.pk,
            reason=REASON,
            actor=supervisor,
            on=TODAY,
            token="r",
        )
    staff_action_submit(
        kind="reverse",
        loan_id=linked_loan.pk,
        payment_id=payment.pk,
        reason=REASON,
        actor=supervisor,
        on=TODAY,
        token="v",
    )
    payment.refresh_from_db()
    item = SuspenseItem.objects.get()
    assert payment.status == "reversed"
    assert (item.idempotency_key, item.reason, item.amount, item.balance) == (
        f"reversed:{payment.pk}",
        "reversed",
        Decimal("80.00"),
        Decimal("80.00"),
    )
    assert (item.loan, item.lender_id, item.payment, item.channel, item.reference) == (
        linked_loan,
        linked_loan.lender_id,
        payment,
        "check",
        "C9",
    )
    assert item.received_on == TODAY
    suspense_refund(
        item_id=item.pk,
        amount=Decimal("80.00"),
        reason=REASON,
        actor=supervisor,
        reference="OUT-77",
    )
    item.refresh_from_db()
    assert (item.balance, item.status) == (Decimal("0.00"), "cleared")
    assert not SandboxRefund.objects.exists()


def test_a_reversed_check_above_the_payoff_holds_only_what_reached_the_loan(linked_loan):
    # $22,000.00 on a $21,401.74 payoff: $598.26 was held when recorded.
    received = check(linked_loan, amount="22000.00")
    payment_reverse(payment_id=received.payment.pk, reason=REASON, actor=None)
    items = SuspenseItem.objects.order_by("pk").values_list("reason", "amount")
    assert list(items) == [
        ("overpayment", Decimal("598.26")),
        ("reversed", Decimal("21401.74")),
    ]


def test_a_reversed_card_payment_is_held_and_refunded_through_the_processor(
    linked_loan, borrower, add_card, pay
):
    payment = pay(linked_loan, add_card("4242424242424242"), "125.00", payer=borrower)
    assert payment.status == "posted"
    payment_reverse(payment_id=payment.pk, reason=REASON, actor=None)
    item = SuspenseItem.objects.get()
    assert (item.amount, item.channel, item.payment) == (Decimal("125.00"), "portal", payment)
    suspense_refund(item_id=item.pk, amount=Decimal("125.00"), reason=REASON, actor=None)
    assert list(SandboxRefund.objects.values_list("amount_cents", flat=True)) == [12500]


def test_a_reversed_pending_bank_debit_holds_nothing(linked_loan, borrower, add_bank, pay):
    payment = pay(linked_loan, add_bank("000123456789"), "125.00", payer=borrower)
    assert payment.status == "pending"
    payment_reverse(payment_id=payment.pk, reason=REASON, actor=None)
    assert Payment.objects.get().status == "reversed"
    assert not SuspenseItem.objects.exists()


def test_moving_a_payment_holds_nothing_for_the_reversal(linked_loan):
    right = LoanFactory(
        lender=linked_loan.lender,
        principal_balance=Decimal("50.00"),
        interest_accrued_through=TODAY,
    )
    payment = check(linked_loan).payment
    result = suspense_move_payment(
        payment_id=payment.pk, to_loan_id=right.pk, reason=REASON, actor=None
    )
    items = SuspenseItem.objects.values_list("idempotency_key", "reason", "amount")
    assert list(items) == [(f"payment:{result.payment.pk}", "moved", Decimal("30.00"))]
    assert LoanPosting.objects.filter(loan=linked_loan, kind="reversal").count() == 1


def test_reversing_twice_holds_the_money_once(linked_loan):
    payment = check(linked_loan).payment
    payment_reverse(payment_id=payment.pk, reason=REASON, actor=None)
    with pytest.raises(PaymentError, match="reversed"):
        payment_reverse(payment_id=payment.pk, reason=REASON, actor=None)
    assert SuspenseItem.objects.get().amount == Decimal("80.00")
    assert Payment.objects.get().status == "reversed"


def test_a_reversed_check_the_bank_returns_voids_the_money_held_for_it(linked_loan):
    """A check reversed (its $80.00 held in suspense) and then sent back unpaid by the bank:
    the money never arrived, so the held $80.00 is voided and cannot be refunded or applied;
    the loan, already without the posting, is not touched again and owes no returned-payment
    fee (the payment is no longer on it)."""
    from payments.services.returned_checks import payment_return_received

    payment = check(linked_loan).payment
    payment_reverse(payment_id=payment.pk, reason=REASON, actor=None)
    postings_before = LoanPosting.objects.filter(loan=linked_loan).count()

    payment_return_received(payment_id=payment.pk, return_code="NSF", reason=REASON, actor=None)

    payment.refresh_from_db()
    item = SuspenseItem.objects.get(idempotency_key=f"reversed:{payment.pk}")
    assert (payment.status, payment.return_code) == ("returned", "NSF")
    assert (item.balance, item.status) == (Decimal("0.00"), "cleared")
    assert LoanPosting.objects.filter(loan=linked_loan).count() == postings_before


def test_a_reversed_check_returned_after_its_money_was_refunded_reports_the_shortfall(
    linked_loan,
):
    """The held $80.00 was refunded by outgoing check before the bank returned the original:
    nothing is left to void, and the audit row says $80.00 was not recovered."""
    from accounts.models import AuditEvent
    from payments.services.returned_checks import payment_return_received

    payment = check(linked_loan).payment
    payment_reverse(payment_id=payment.pk, reason=REASON, actor=None)
    item = SuspenseItem.objects.get(idempotency_key=f"reversed:{payment.pk}")
    suspense_refund(
        item_id=item.pk, amount=Decimal("80.00"), reason=REASON, actor=None, reference="OUT-1"
    )

    payment_return_received(payment_id=payment.pk, return_code="NSF", reason=REASON, actor=None)

    row = AuditEvent.objects.filter(action="payment.return_check").latest("pk")
    assert (row.details["suspense_voided"], row.details["not_recovered"]) == ("0.00", "80.00")
