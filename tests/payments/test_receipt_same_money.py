"""Second attacker review (staff console): `receipt_on_books` matched a receipt exactly, so the
same $50 lockbox item was posted twice when the hand entry and the remittance file wrote it a
little differently — the reference in another case or with another separator, the hand entry
dated the day it arrived and the file line the deposit day, or the lockbox item recorded by
hand as a check. The rule now compares references by their letters and digits (any case),
takes paper channels (check, money order, lockbox) as one, and dates within
RECEIPT_DATE_WINDOW_DAYS; other money under a reused reference still posts."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from staff_money_helpers import TODAY, TUESDAY

from loans.models import LoanPosting
from payments.errors import AlreadyRecorded
from payments.models import Payment
from payments.services.receipts import RECEIPT_DATE_WINDOW_DAYS
from payments.services.received import payment_record_received
from payments.services.remittance import remittance_import

pytestmark = pytest.mark.django_db
HEADER = "loan_number,amount,date,reference\n"


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def by_hand(loan, reference, channel="lockbox", date=TODAY, amount="50.00"):
    return payment_record_received(
        loan_id=loan.pk,
        channel=channel,
        amount=Decimal(amount),
        effective_date=date,
        reference=reference,
        actor=None,
    )


def import_file(loan, reference, date=TODAY, amount="50.00"):
    line = f"{loan.loan_number},{amount},{date},{reference}\n"
    return remittance_import(
        text=HEADER + line, channel="lockbox", lender=loan.lender, actor=None, today=TODAY
    )


@pytest.mark.parametrize(
    "hand_reference,days_earlier,file_reference,hand_channel",
    [
        ("LB-77", 0, "lb-77", "lockbox"),  # another case
        ("LB-77", 1, "LB-77", "lockbox"),  # by hand the arrival day, the file the deposit day
        ("LB 77", 0, "LB-77", "lockbox"),  # another separator
        ("LB-77", 0, "LB-77", "check"),  # the lockbox item recorded by hand as a check
        ("lb/77", RECEIPT_DATE_WINDOW_DAYS, "LB-77", "money_order"),  # all at once, at the edge
    ],
)
def test_the_same_receipt_written_differently_is_posted_once(
    linked_loan, hand_reference, days_earlier, file_reference, hand_channel
):
    first = by_hand(
        linked_loan,
        hand_reference,
        channel=hand_channel,
        date=TODAY - dt.timedelta(days=days_earlier),
    ).payment
    result = import_file(linked_loan, file_reference)
    assert (result.errors, result.posted, result.held, result.skipped) == ([], 0, 0, 0)
    assert [str(r) for r in result.recorded] == [
        f"line 2: Lockbox {file_reference} for $50.00 on 2026-11-24 is already on the books "
        f"for this loan: payment {first.reference}, recorded by hand."
    ]
    assert list(Payment.objects.values_list("pk", flat=True)) == [first.pk]
    assert LoanPosting.objects.filter(loan=linked_loan, kind="payment").count() == 1


def test_recording_by_hand_what_the_file_imported_under_another_spelling_is_refused(
    linked_loan,
):
    import_file(linked_loan, "lb-77", date=TODAY - dt.timedelta(days=2))
    imported = Payment.objects.get()
    with pytest.raises(AlreadyRecorded) as refused:
        by_hand(linked_loan, "LB 77", channel="check")
    assert str(refused.value) == (
        f"Check #LB 77 for $50.00 on 2026-11-24 is already on the books for this loan: "
        f"payment {imported.reference}, imported from a remittance file."
    )
    assert Payment.objects.count() == 1


def test_the_same_reference_further_apart_than_the_window_is_other_money(linked_loan):
    by_hand(linked_loan, "LB-77", date=TODAY - dt.timedelta(days=RECEIPT_DATE_WINDOW_DAYS + 1))
    result = import_file(linked_loan, "lb-77")
    assert (result.errors, result.posted, result.recorded) == ([], 1, [])
    assert Payment.objects.count() == 2


def test_another_amount_or_a_card_channel_under_the_same_reference_is_other_money(linked_loan):
    by_hand(linked_loan, "LB-77")
    assert import_file(linked_loan, "LB-77", amount="50.01").posted == 1
    assert by_hand(linked_loan, "LB-77", channel="moneygram").payment is not None
    assert by_hand(linked_loan, "LB-78").payment is not None
    assert Payment.objects.count() == 4
