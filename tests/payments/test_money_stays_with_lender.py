"""Attacker review (staff console): money crossed lenders — suspense applied to (or a payment
moved to) another lender's loan, a remittance line matched another lender's loan. Money
belongs to the lender that received it (payments/services/ownership.py)."""

from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory
from staff_helpers import form_token
from staff_money_helpers import TODAY, TUESDAY, make_staff, staff_client

from accounts.roles import SUPERVISOR
from loans.models import Loan
from payments.errors import OtherLender
from payments.models import Payment, SuspenseItem
from payments.services.received import payment_record_received
from payments.services.remittance import remittance_import
from payments.services.suspense import suspense_apply, suspense_move_payment

pytestmark = pytest.mark.django_db
REASON = "Borrower called about it"


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


@pytest.fixture
def elsewhere():
    """A loan of another lender."""
    return LoanFactory(principal_balance=Decimal("10000.00"), interest_accrued_through=TODAY)


@pytest.fixture
def held(linked_loan):
    """$598.26 held for linked_loan's lender: a $22,000.00 check on a $21,401.74 payoff."""
    return payment_record_received(
        loan_id=linked_loan.pk,
        channel="check",
        amount=Decimal("22000.00"),
        effective_date=TODAY,
        reference="5001",
        actor=None,
    ).suspense


def test_suspense_items_carry_the_lender_that_received_the_money(held, linked_loan):
    assert held.lender_id == linked_loan.lender_id
    result = remittance_import(
        text="loan_number,amount,date,reference\nNOBODY,40.00,2026-11-24,LB-1\n",
        channel="lockbox",
        lender=linked_loan.lender,
        actor=None,
        today=TODAY,
    )
    assert result.held == 1
    item = SuspenseItem.objects.get(reason="unidentified")
    assert (item.lender_id, item.loan_id) == (linked_loan.lender_id, None)


def test_suspense_cannot_be_applied_to_another_lenders_loan(held, elsewhere):
    with pytest.raises(OtherLender, match=f"Loan {elsewhere.loan_number} belongs to"):
        suspense_apply(
            item_id=held.pk,
            loan_id=elsewhere.pk,
            amount=Decimal("100.00"),
            reason=REASON,
            actor=None,
        )
    held.refresh_from_db()
    assert held.balance == Decimal("598.26")
    assert not Payment.objects.filter(loan=elsewhere).exists()


def test_an_item_without_a_lender_cannot_be_applied(held, linked_loan):
    SuspenseItem.objects.filter(pk=held.pk).update(lender=None)  # held before lenders were kept
    with pytest.raises(OtherLender, match="no lender recorded"):
        suspense_apply(
            item_id=held.pk,
            loan_id=linked_loan.pk,
            amount=Decimal("1.00"),
            reason=REASON,
            actor=None,
        )


def test_a_payment_cannot_be_moved_to_another_lenders_loan(linked_loan, elsewhere):
    posted = payment_record_received(
        loan_id=linked_loan.pk,
        channel="check",
        amount=Decimal("100.00"),
        effective_date=TODAY,
        reference="5002",
        actor=None,
    ).payment
    with pytest.raises(OtherLender):
        suspense_move_payment(
            payment_id=posted.pk, to_loan_id=elsewhere.pk, reason=REASON, actor=None
        )
    posted.refresh_from_db()
    assert posted.status == "posted"
    elsewhere.refresh_from_db()
    assert elsewhere.principal_balance == Decimal("10000.00")


def test_a_remittance_line_naming_another_lenders_loan_is_refused(linked_loan, elsewhere):
    text = (
        "lender_name,loan_number,amount,date,reference\n"
        f",{linked_loan.loan_number},10.00,2026-11-24,LB-1\n"
        f",{elsewhere.loan_number},40.00,2026-11-24,LB-2\n"
        f"{elsewhere.lender.name},{elsewhere.loan_number},40.00,2026-11-24,LB-3\n"
    )
    result = remittance_import(
        text=text, channel="lockbox", lender=linked_loan.lender, actor=None, today=TODAY
    )
    assert [e.line for e in result.errors] == [3, 4]
    assert f"belongs to {elsewhere.lender.name}" in str(result.errors[0])
    assert not Payment.objects.exists() and not SuspenseItem.objects.exists()


def test_a_loan_number_both_lenders_use_matches_the_files_lender(linked_loan):
    twin = LoanFactory(loan_number=linked_loan.loan_number, interest_accrued_through=TODAY)
    result = remittance_import(
        text=f"loan_number,amount,date,reference\n{twin.loan_number},10.00,2026-11-24,LB-1\n",
        channel="lockbox",
        lender=twin.lender,
        actor=None,
        today=TODAY,
    )
    assert (result.errors, result.posted) == ([], 1)
    assert Payment.objects.get().loan == twin


def test_the_admin_pages_show_the_lender_refusal_next_to_the_loan_number(client, held, elsewhere):
    staff_client(client, make_staff(SUPERVISOR))
    page = client.post(
        f"/admin/payments/suspenseitem/{held.pk}/apply/",
        {
            "loan_number": elsewhere.loan_number,
            "amount": "10.00",
            "reason": REASON,
            "submit_token": form_token(),
        },
    )
    assert page.status_code == 200
    errors = page.context["form"].errors
    assert "belongs to" in errors["loan_number"][0]
    assert Loan.objects.get(pk=elsewhere.pk).principal_balance == Decimal("10000.00")
