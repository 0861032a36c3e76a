"""Attacker review (staff console): a remittance line's idempotency key was
`remit:<channel>:<reference>`, so a lockbox reference reused on another day or for another loan
was skipped as "imported before" and the money silently dropped. The key now names the money
(lender, channel, reference, loan number, date, amount)."""

from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory
from staff_money_helpers import TODAY, TUESDAY

from loans.models import LoanPosting
from payments.models import Payment, SuspenseItem
from payments.services.remittance import remittance_import
from payments.services.remittance_parse import remittance_key

pytestmark = pytest.mark.django_db
HEADER = "loan_number,amount,date,reference\n"


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def run(text, loan):
    return remittance_import(
        text=HEADER + text, channel="lockbox", lender=loan.lender, actor=None, today=TODAY
    )


def test_a_reference_reused_on_another_day_is_other_money_and_is_posted(linked_loan):
    n = linked_loan.loan_number
    # a week apart: further than RECEIPT_DATE_WINDOW_DAYS (within it, it is the same money)
    first = run(f"{n},100.00,2026-11-17,LB-7\n", linked_loan)
    second = run(f"{n},100.00,2026-11-24,LB-7\n", linked_loan)
    assert (second.errors, second.posted, second.skipped) == ([], 1, 0)
    assert first.posted == 1
    amounts = list(Payment.objects.order_by("pk").values_list("amount", "effective_date"))
    assert [a for a, _ in amounts] == [Decimal("100.00"), Decimal("100.00")]
    assert [d.isoformat() for _, d in amounts] == ["2026-11-17", "2026-11-24"]


def test_a_reference_reused_for_another_loan_of_the_lender_is_posted(linked_loan):
    other = LoanFactory(lender=linked_loan.lender, interest_accrued_through=TODAY)
    run(f"{linked_loan.loan_number},100.00,2026-11-24,LB-7\n", linked_loan)
    second = run(f"{other.loan_number},250.00,2026-11-24,LB-7\n", linked_loan)
    assert (second.errors, second.posted, second.skipped) == ([], 1, 0)
    assert Payment.objects.get(loan=other).amount == Decimal("250.00")


def test_re_importing_the_same_lines_changes_nothing(linked_loan):
    text = f"{linked_loan.loan_number},100.00,2026-11-24,LB-7\nNOBODY,40.00,2026-11-24,LB-7\n"
    run(text, linked_loan)
    again = run(text, linked_loan)
    assert (again.errors, again.posted, again.held, again.skipped) == ([], 0, 0, 2)
    assert Payment.objects.count() == 1 and SuspenseItem.objects.count() == 1
    assert LoanPosting.objects.filter(kind="payment").count() == 1


def test_two_identical_lines_in_one_file_are_refused_naming_both_and_nothing_is_written(
    linked_loan,
):
    n = linked_loan.loan_number
    result = run(
        f"{n},100.00,2026-11-24,LB-7\n{n},5.00,2026-11-24,LB-8\n{n},100.00,2026-11-24,LB-7\n",
        linked_loan,
    )
    assert [str(e) for e in result.errors] == [
        "line 4: line 4 repeats line 2 (same loan, date, amount and reference LB-7): remove "
        "one, or give each its own reference"
    ]
    assert not Payment.objects.exists() and not SuspenseItem.objects.exists()


def test_the_key_names_the_money_and_fits_the_key_column(linked_loan):
    parts = dict(
        lender_id=linked_loan.lender_id,
        channel="lockbox",
        reference="LB-7",
        loan_number="L-1",
        date=TODAY,
        amount=Decimal("100.00"),
    )
    key = remittance_key(**parts)
    assert key.startswith("remit:") and len(key) == 70
    assert remittance_key(**{**parts, "amount": Decimal("100.0")}) == key
    for change in (
        {"lender_id": linked_loan.lender_id + 1},
        {"channel": "moneygram"},
        {"reference": "LB-8"},
        {"loan_number": "L-2"},
        {"date": TODAY.replace(day=23)},
        {"amount": Decimal("100.01")},
    ):
        assert remittance_key(**{**parts, **change}) != key


def test_a_file_imported_under_the_old_reference_key_is_not_posted_again(linked_loan):
    run(f"{linked_loan.loan_number},100.00,2026-11-24,LB-7\n", linked_loan)
    Payment.objects.update(idempotency_key="remit:lockbox:LB-7")  # as the old import wrote it
    again = run(f"{linked_loan.loan_number},100.00,2026-11-24,LB-7\n", linked_loan)
    assert (again.posted, again.skipped) == (0, 1)
    other_day = run(f"{linked_loan.loan_number},100.00,2026-11-17,LB-7\n", linked_loan)
    assert (other_day.posted, other_day.skipped) == (1, 0)
