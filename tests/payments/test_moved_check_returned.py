"""Second attacker review (staff console): a check recorded on loan A and moved to loan B
(A's payment reversed, a copy posted on B under `move:<A's payment>`), then the ORIGINAL marked
returned by the bank: A's payment became RETURNED, B's copy stayed POSTED and B kept the $80.00
credit; the audit said nothing was lost. Returning a moved original is now refused, naming the
payment it was moved to; that copy is returned like any posted check (B's posting reversed,
B's returned-payment fee assessed), and the admin offers "Check returned" on the copy only."""

from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory
from staff_helpers import form_token
from staff_money_helpers import TODAY, TUESDAY, make_staff

from accounts.models import AuditEvent
from accounts.roles import SUPERVISOR
from loans.models import Loan, LoanPosting
from loans.staff_requests import StaffActionError, staff_action_submit
from payments.errors import PaymentError
from payments.models import Payment, SuspenseItem
from payments.services.received import payment_record_received
from payments.services.returned_checks import payment_return_received
from payments.services.suspense import suspense_move_payment
from payments.statuses import payment_staff_actions

pytestmark = pytest.mark.django_db
REASON = "Recorded on the wrong loan by mistake"
RETURN = {"return_code": "NSF", "reason": "Bank returned it NSF today", "actor": None}


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def figures(loan):
    loan = Loan.objects.get(pk=loan.pk)
    return (loan.principal_balance, loan.accrued_interest, loan.unpaid_fees)


@pytest.fixture
def moved(linked_loan):
    """$80.00 check 7001 recorded on A (linked_loan), moved to B ($10,000.00 owed, nothing
    else): (A's original, B's copy, B)."""
    loan_b = LoanFactory(
        lender=linked_loan.lender,
        principal_balance=Decimal("10000.00"),
        interest_accrued_through=TODAY,
    )
    original = payment_record_received(
        loan_id=linked_loan.pk,
        channel="check",
        amount=Decimal("80.00"),
        effective_date=TODAY,
        reference="7001",
        actor=None,
    ).payment
    copy = suspense_move_payment(
        payment_id=original.pk, to_loan_id=loan_b.pk, reason=REASON, actor=None
    ).payment
    original.refresh_from_db()
    return original, copy, loan_b


def test_returning_a_moved_original_is_refused_naming_the_payment_it_was_moved_to(
    linked_loan, moved
):
    original, copy, loan_b = moved
    a_before = figures(linked_loan)
    with pytest.raises(PaymentError) as refused:
        payment_return_received(payment_id=original.pk, **RETURN)
    assert str(refused.value) == (
        f"This check was moved to loan {loan_b.loan_number} as payment {copy.reference}: "
        "mark that payment returned."
    )
    original.refresh_from_db()
    copy.refresh_from_db()
    assert (original.status, copy.status) == ("reversed", "posted")
    assert figures(linked_loan) == a_before
    assert figures(loan_b) == (Decimal("9920.00"), Decimal("0.00"), Decimal("0.00"))
    assert not AuditEvent.objects.filter(action="payment.return_check").exists()


def test_the_copy_on_the_loan_it_was_moved_to_is_returned_like_any_posted_check(linked_loan, moved):
    original, copy, loan_b = moved
    a_before = figures(linked_loan)
    payment_return_received(payment_id=copy.pk, **RETURN)
    copy.refresh_from_db()
    original.refresh_from_db()
    assert (copy.status, copy.return_code, original.status) == ("returned", "NSF", "reversed")
    # B: the $80.00 back on principal and the lender's $25.00 returned-payment fee; A untouched.
    assert figures(loan_b) == (Decimal("10000.00"), Decimal("0.00"), Decimal("25.00"))
    assert figures(linked_loan) == a_before
    kinds = LoanPosting.objects.filter(loan=loan_b).order_by("pk").values_list("kind", flat=True)
    assert list(kinds) == ["payment", "reversal", "nsf_fee"]
    assert not LoanPosting.objects.filter(loan=linked_loan, kind="nsf_fee").exists()
    row = AuditEvent.objects.get(action="payment.return_check")
    assert (row.details["amount"], row.details["not_recovered"]) == ("80.00", "0.00")


def test_the_admin_offers_check_returned_on_the_copy_not_on_the_moved_original(moved):
    original, copy, _loan_b = moved
    assert payment_staff_actions(original)["return_check"] is False
    assert payment_staff_actions(copy)["return_check"] is True


def test_a_check_moved_whole_into_suspense_is_still_returned_as_the_original(linked_loan):
    """B is closed: the moved money is held whole in suspense (no copy payment) under the
    original; returning the original voids it, as any reversed check's held money."""
    loan_b = LoanFactory(lender=linked_loan.lender, status=Loan.Status.CLOSED)
    original = payment_record_received(
        loan_id=linked_loan.pk,
        channel="check",
        amount=Decimal("80.00"),
        effective_date=TODAY,
        reference="7002",
        actor=None,
    ).payment
    suspense_move_payment(payment_id=original.pk, to_loan_id=loan_b.pk, reason=REASON, actor=None)
    payment_return_received(payment_id=original.pk, **RETURN)
    original.refresh_from_db()
    item = SuspenseItem.objects.get(idempotency_key=f"move:{original.pk}")
    assert original.status == "returned"
    assert (item.balance, item.status) == (Decimal("0.00"), "cleared")
    assert not Payment.objects.filter(loan=loan_b).exists()


def test_a_supervisor_returning_the_moved_original_is_told_which_payment_to_return(
    linked_loan, moved
):
    original, copy, loan_b = moved
    with pytest.raises(StaffActionError) as refused:
        staff_action_submit(
            kind="return_check",
            loan_id=linked_loan.pk,
            payment_id=original.pk,
            reason="Bank returned it NSF today",
            actor=make_staff(SUPERVISOR),
            on=TODAY,
            params={"return_code": "NSF"},
            token=form_token(),
        )
    assert f"as payment {copy.reference}: mark that payment returned" in str(refused.value)
    assert figures(loan_b) == (Decimal("9920.00"), Decimal("0.00"), Decimal("0.00"))


def test_returning_a_moved_original_above_the_threshold_is_refused_before_any_request(
    linked_loan, moved
):
    """Above the threshold a return becomes a request for a second supervisor; a moved
    original's return was refused only at approval. It is refused when asked, and no request
    waits for a supervisor."""
    from loans.models import StaffRequest

    original, copy, _loan_b = moved
    linked_loan.lender.four_eyes_threshold = Decimal("1.00")
    linked_loan.lender.save(update_fields=["four_eyes_threshold"])
    with pytest.raises(StaffActionError, match=f"as payment {copy.reference}"):
        staff_action_submit(
            kind="return_check",
            loan_id=linked_loan.pk,
            payment_id=original.pk,
            reason="Bank returned it NSF today",
            actor=make_staff(SUPERVISOR),
            on=TODAY,
            params={"return_code": "NSF"},
            token=form_token(),
        )
    assert not StaffRequest.objects.filter(kind="return_check", status="pending").exists()
