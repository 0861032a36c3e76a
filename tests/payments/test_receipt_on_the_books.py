"""Attacker review (staff console): a MoneyGram or lockbox receipt recorded by hand
(`received:<channel>:<loan>:<reference>`) and later carried by the network's remittance file
(`remit:<hash>`) was posted twice — the import only looked for its own keys. One rule,
`receipt_on_books` (payments/services/receipts.py), asks "is this receipt already on the
books?" for both paths: same loan, channel, reference, amount and date."""

from decimal import Decimal

import pytest
import time_machine
from staff_helpers import form_token
from staff_money_helpers import TODAY, TUESDAY, make_staff, staff_client

from accounts.roles import SUPPORT_AGENT
from loans.models import Loan, LoanPosting
from payments.errors import AlreadyRecorded
from payments.models import Payment, SuspenseItem
from payments.services.received import payment_record_received
from payments.services.remittance import remittance_import

pytestmark = pytest.mark.django_db
HEADER = "loan_number,amount,date,reference\n"


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def by_hand(loan, amount="50.00", channel="moneygram", reference="LB-77", date=TODAY):
    return payment_record_received(
        loan_id=loan.pk,
        channel=channel,
        amount=Decimal(amount),
        effective_date=date,
        reference=reference,
        actor=None,
    )


def import_file(loan, lines, channel="moneygram"):
    return remittance_import(
        text=HEADER + lines, channel=channel, lender=loan.lender, actor=None, today=TODAY
    )


@pytest.mark.parametrize("channel", ["moneygram", "lockbox"])
def test_a_receipt_recorded_by_hand_is_not_posted_again_from_the_file(linked_loan, channel):
    first = by_hand(linked_loan, channel=channel).payment
    result = import_file(linked_loan, f"{linked_loan.loan_number},50.00,{TODAY},LB-77\n", channel)
    assert (result.errors, result.posted, result.held, result.skipped) == ([], 0, 0, 0)
    assert [str(r) for r in result.recorded] == [
        f"line 2: {first.method_label} for $50.00 on 2026-11-24 is already on the books for "
        f"this loan: payment {first.reference}, recorded by hand."
    ]
    assert list(Payment.objects.values_list("pk", flat=True)) == [first.pk]
    assert LoanPosting.objects.filter(loan=linked_loan, kind="payment").count() == 1
    assert "1 already recorded by hand" in result.summary()


def test_a_receipt_held_whole_by_hand_is_not_held_again_from_the_file(linked_loan):
    Loan.objects.filter(pk=linked_loan.pk).update(status=Loan.Status.CLOSED)
    held = by_hand(linked_loan).suspense
    result = import_file(linked_loan, f"{linked_loan.loan_number},50.00,{TODAY},LB-77\n")
    assert (result.posted, result.held, len(result.recorded)) == (0, 0, 1)
    assert f"Suspense item {held.pk}" in str(result.recorded[0])
    assert list(SuspenseItem.objects.values_list("pk", "amount")) == [(held.pk, Decimal("50.00"))]


def test_recording_by_hand_what_a_file_imported_is_refused_naming_the_payment(linked_loan):
    import_file(linked_loan, f"{linked_loan.loan_number},50.00,{TODAY},LB-77\n")
    imported = Payment.objects.get()
    with pytest.raises(AlreadyRecorded) as refused:
        by_hand(linked_loan)
    assert str(refused.value) == (
        f"MoneyGram LB-77 for $50.00 on 2026-11-24 is already on the books for this loan: "
        f"payment {imported.reference}, imported from a remittance file."
    )
    assert refused.value.record == imported
    assert Payment.objects.count() == 1


def test_the_record_page_shows_the_refusal_next_to_the_reference(client, linked_loan):
    import_file(linked_loan, f"{linked_loan.loan_number},50.00,{TODAY},LB-77\n")
    imported = Payment.objects.get()
    staff_client(client, make_staff(SUPPORT_AGENT))
    page = client.post(
        "/admin/payments/payment/record/",
        {
            "submit_token": form_token(),
            "loan_number": linked_loan.loan_number,
            "channel": "moneygram",
            "amount": "50.00",
            "effective_date": TODAY.isoformat(),
            "reference": "LB-77",
        },
    )
    assert page.status_code == 200
    assert imported.reference in page.context["form"].errors["reference"][0]
    assert Payment.objects.count() == 1


def test_a_reused_reference_for_other_money_still_posts_both_ways(linked_loan):
    n = linked_loan.loan_number
    by_hand(linked_loan)
    other_amount = import_file(linked_loan, f"{n},60.00,{TODAY},LB-77\n")
    other_day = import_file(linked_loan, f"{n},50.00,2026-11-17,LB-77\n")  # a week apart
    assert (other_amount.posted, other_amount.recorded) == (1, [])
    assert (other_day.posted, other_day.recorded) == (1, [])
    import_file(linked_loan, f"{n},70.00,{TODAY},LB-78\n")
    assert by_hand(linked_loan, amount="75.00", reference="LB-78").payment is not None
    amounts = Payment.objects.order_by("pk").values_list("amount", flat=True)
    assert list(amounts) == [Decimal(a) for a in ("50.00", "60.00", "50.00", "70.00", "75.00")]


def test_recording_the_same_receipt_by_hand_twice_is_still_one_payment(linked_loan):
    assert by_hand(linked_loan).payment == by_hand(linked_loan).payment
    assert Payment.objects.count() == 1


def test_a_returned_check_is_not_on_the_books(linked_loan):
    from payments.services.receipts import receipt_on_books

    check = by_hand(linked_loan, channel="check", reference="C1").payment
    Payment.objects.filter(pk=check.pk).update(status=Payment.Status.RETURNED)
    found = receipt_on_books(
        loan=linked_loan,
        channel="check",
        reference="C1",
        amount=Decimal("50.00"),
        effective_date=TODAY,
    )
    assert found is None
