"""Issue 13: suspense (unapplied funds) — apply to a loan, move a misapplied payment, refund
(through the processor for gateway money, recorded for a check) — to the cent, each with its
permission and audit row."""

from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory
from staff_helpers import form_token
from staff_money_helpers import TODAY, TUESDAY, make_staff, staff_client

from accounts.models import AuditEvent
from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans.models import Loan, LoanPosting
from payments.errors import AmountNotAllowed
from payments.models import Payment, SandboxRefund, SuspenseAction
from payments.services.received import payment_record_received
from payments.services.suspense import (
    suspense_apply,
    suspense_balance,
    suspense_move_payment,
    suspense_refund,
)

pytestmark = pytest.mark.django_db
REASON = "Borrower called about it"


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


@pytest.fixture
def held(linked_loan):
    """$598.26 in suspense: a $22,000.00 check on a $21,401.74 payoff."""
    return payment_record_received(
        loan_id=linked_loan.pk,
        channel="check",
        amount=Decimal("22000.00"),
        effective_date=TODAY,
        reference="5001",
        actor=None,
    ).suspense


def other_loan(lender):
    """Another loan of the same lender (money never crosses lenders: see
    test_money_stays_with_lender.py)."""
    return LoanFactory(
        lender=lender, principal_balance=Decimal("10000.00"), interest_accrued_through=TODAY
    )


def test_suspense_money_is_applied_to_another_loan_to_the_cent(held):
    supervisor = make_staff(SUPERVISOR)
    target = other_loan(held.lender)
    payment = suspense_apply(
        item_id=held.pk,
        loan_id=target.pk,
        amount=Decimal("500.00"),
        reason=REASON,
        actor=supervisor,
    )
    assert (payment.amount, payment.status, payment.channel) == (
        Decimal("500.00"),
        "posted",
        "check",
    )
    target.refresh_from_db()
    assert target.principal_balance == Decimal("9500.00")
    held.refresh_from_db()
    assert (held.balance, held.status) == (Decimal("98.26"), "open")
    assert suspense_balance() == Decimal("98.26")
    audit = AuditEvent.objects.get(action="suspense.apply")
    assert (audit.actor, audit.details["balance_after"]) == (supervisor, "98.26")


def test_applying_more_than_the_item_holds_or_the_loan_takes_changes_nothing(held):
    target = other_loan(held.lender)
    with pytest.raises(AmountNotAllowed):
        suspense_apply(
            item_id=held.pk, loan_id=target.pk, amount=Decimal("598.27"), reason=REASON, actor=None
        )
    tiny = LoanFactory(
        lender=held.lender, principal_balance=Decimal("50.00"), interest_accrued_through=TODAY
    )
    with pytest.raises(AmountNotAllowed, match=r"at most \$50\.00"):
        suspense_apply(
            item_id=held.pk, loan_id=tiny.pk, amount=Decimal("60.00"), reason=REASON, actor=None
        )
    held.refresh_from_db()
    assert held.balance == Decimal("598.26")
    assert SuspenseAction.objects.filter(kind="applied").count() == 0


def test_a_check_in_suspense_is_refunded_by_an_outgoing_check(held):
    step = suspense_refund(
        item_id=held.pk,
        amount=Decimal("598.26"),
        reason=REASON,
        actor=make_staff(SUPERVISOR),
        reference="OUT-9001",
    )
    assert (step.kind, step.refund_reference) == ("refunded", "OUT-9001")
    held.refresh_from_db()
    assert (held.balance, held.status) == (Decimal("0.00"), "cleared")
    assert not SandboxRefund.objects.exists()
    assert AuditEvent.objects.filter(action="suspense.refund").count() == 1


def test_a_misapplied_card_payment_moves_and_its_excess_is_refunded_through_the_gateway(
    linked_loan, borrower, add_card, pay
):
    card = add_card("4242424242424242")
    payment = pay(linked_loan, card, "483.32", payer=borrower)
    right = LoanFactory(
        lender=linked_loan.lender,
        principal_balance=Decimal("400.00"),
        interest_accrued_through=TODAY,
    )
    result = suspense_move_payment(
        payment_id=payment.pk, to_loan_id=right.pk, reason=REASON, actor=make_staff(SUPERVISOR)
    )
    payment.refresh_from_db()
    assert payment.status == "reversed"
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance == Decimal("21335.10")
    right.refresh_from_db()
    assert right.status == Loan.Status.PAID_OFF
    assert (result.payment.amount, result.payment.applied_amount) == (
        Decimal("483.32"),
        Decimal("400.00"),
    )
    assert result.payment.processor_ref == payment.processor_ref
    item = result.suspense
    assert (item.amount, item.reason) == (Decimal("83.32"), "moved")
    # Two partial refunds through the processor, each under its own key derived from the item.
    for amount in ("50.00", "33.32"):
        suspense_refund(item_id=item.pk, amount=Decimal(amount), reason=REASON, actor=None)
    refunds = SandboxRefund.objects.order_by("pk")
    assert [r.amount_cents for r in refunds] == [5000, 3332]
    steps = SuspenseAction.objects.filter(item=item, kind="refunded").order_by("pk")
    assert [s.refund_reference for s in steps] == [r.processor_ref for r in refunds]
    item.refresh_from_db()
    assert (item.balance, item.status) == (Decimal("0.00"), "cleared")
    assert AuditEvent.objects.filter(action="payment.move").count() == 1
    assert LoanPosting.objects.filter(loan=linked_loan, kind="reversal").count() == 1


def test_suspense_actions_need_a_supervisor_and_are_audited(client, held):
    held.loan.lender.four_eyes_threshold = Decimal("1000.00")  # at or below: alone
    held.loan.lender.save(update_fields=["four_eyes_threshold"])
    url = f"/admin/payments/suspenseitem/{held.pk}/refund/"
    form = {"amount": "598.26", "reference": "OUT-1", "reason": "Sent back to the borrower"}
    form["submit_token"] = form_token()
    staff_client(client, make_staff())
    assert client.post(url, form).status_code == 403
    staff_client(client, make_staff(SUPPORT_AGENT))
    assert client.post(url, form).status_code == 403
    held.refresh_from_db()
    assert held.balance == Decimal("598.26")
    supervisor = make_staff(SUPERVISOR)
    staff_client(client, supervisor)
    assert client.post(url, {**form, "amount": "700.00"}).status_code == 200  # refused inline
    assert client.post(url, form).status_code == 302
    held.refresh_from_db()
    assert held.balance == Decimal("0.00")
    assert AuditEvent.objects.filter(action="suspense.refund", actor=supervisor).count() == 1


def test_the_admin_apply_and_move_pages(client, held, linked_loan):
    target = other_loan(held.lender)
    supervisor = make_staff(SUPERVISOR)
    staff_client(client, supervisor)
    apply_url = f"/admin/payments/suspenseitem/{held.pk}/apply/"
    form = {"loan_number": target.loan_number, "amount": "98.26", "reason": REASON}
    form["submit_token"] = form_token()
    assert client.post(apply_url, form).status_code == 302
    target.refresh_from_db()
    assert target.principal_balance == Decimal("9901.74")
    listing = client.get("/admin/payments/suspenseitem/").content.decode()
    assert "$500.00" in listing  # the suspense balance held now
    moved = Payment.objects.filter(loan=target).get()
    move_url = f"/admin/payments/payment/{moved.pk}/move/"
    staff_client(client, make_staff(SUPPORT_AGENT))
    assert client.post(move_url, {"loan_number": linked_loan.loan_number}).status_code == 403
