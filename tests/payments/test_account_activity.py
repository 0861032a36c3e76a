"""Account activity: every money event on a loan with the ledger's running balance, filters,
CSV bytes, PDF, and object access."""

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse

from loans.fees import loan_waive_fee
from loans.models import LoanPosting
from loans.services import loan_assess_late_fee
from payments.activity import loan_activity
from payments.activity_presenter import activity_rows
from payments.history import csv_cell
from payments.models import Payment

pytestmark = pytest.mark.django_db
BOM = b"\xef\xbb\xbf"


def _balance(posting: LoanPosting) -> Decimal:
    return (
        posting.principal_balance_after + posting.accrued_interest_after + posting.unpaid_fees_after
    )


@pytest.fixture
def story(loan, borrower, add_card, pay, returned_payment, staff_user):
    """A card payment, a bank payment returned R01 (reversal + NSF fee), a late fee and a
    waiver of part of it: one posting of each kind the borrower sees."""
    card = pay(loan, add_card("4242424242424242"), "300.00", payer=borrower)
    returned = returned_payment(loan, borrower, "R01", amount="120.00")
    fee = loan_assess_late_fee(loan_id=loan.pk, installment_number=1, on=dt.date(2026, 2, 16))
    waiver = loan_waive_fee(
        loan_id=loan.pk,
        amount=Decimal("10.00"),
        reason="Goodwill",
        actor=staff_user,
        on=dt.date(2026, 2, 17),
    )
    return {"card": card, "returned": returned, "fee": fee, "waiver": waiver}


@pytest.fixture
def staff_user(db):
    from factories import UserFactory

    return UserFactory(is_staff=True)


def test_running_balance_is_the_ledgers_balance_after_each_posting(loan, story):
    entries = loan_activity(loan)
    postings = list(LoanPosting.objects.filter(loan=loan).order_by("pk"))
    by_posting = [e for e in entries if e.posting is not None and e.kind != "interest"]
    assert [e.posting.pk for e in by_posting] == [p.pk for p in postings]
    assert [e.balance_after for e in by_posting] == [_balance(p) for p in postings]
    # Every entry's balance is the previous balance plus its change (interest included).
    for before, entry in itertools.pairwise(entries):
        assert before.balance_after + entry.change == entry.balance_after


def test_each_kind_of_posting_appears_with_its_label(loan, story):
    rows = activity_rows(loan_activity(loan))
    labelled = [(r.entry.kind, r.label) for r in rows if r.entry.kind != "interest"]
    assert labelled == [
        ("payment", "Payment"),
        ("payment", "Payment"),
        ("return", "Payment returned (R01)"),
        ("fee", "Returned-payment fee"),
        ("fee", "Late fee"),
        ("fee_waiver", "Fee waived"),
    ]
    card_row = next(r for r in rows if r.reference == story["card"].reference)
    assert card_row.detail == "Online · Visa •••• 4242"
    assert card_row.change_text == "−$300.00"
    fee_row = next(r for r in rows if r.label == "Late fee")
    assert fee_row.change_text == f"+${loan.lender.late_fee_flat}"
    assert next(r for r in rows if r.label == "Fee waived").detail == "Goodwill"


def test_filter_by_kind_and_date_keeps_the_true_running_balance(borrower_client, loan, story):
    url = reverse("payments:activity", args=[loan.pk])
    page = borrower_client.get(url, {"kind": "fee"}).content.decode()
    assert page.count('class="card history-item"') == 2
    assert "Late fee" in page and "Returned-payment fee" in page and ">Payment<" not in page
    fee = story["fee"]
    assert f"${_balance(fee):,}" in page
    dated = borrower_client.get(url, {"date_from": "2026-02-17", "date_to": "2026-02-17"})
    assert dated.content.decode().count('class="card history-item"') == 1
    assert "Fee waived" in dated.content.decode()


def test_csv_has_bom_header_and_the_ledgers_balances(borrower_client, loan, story):
    response = borrower_client.get(
        reverse("payments:activity_csv", args=[loan.pk]), {"kind": "fee_waiver"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    waiver = story["waiver"]
    assert (
        body
        == BOM
        + (
            "date,kind,description,change,fees,interest,principal,balance,reference\r\n"
            f"2026-02-17,fee_waiver,Fee waived — Goodwill,-10.00,10.00,0.00,0.00,"
            f"{_balance(waiver)},\r\n"
        ).encode()
    )


def test_csv_neutralises_formulas_in_free_text(borrower_client, loan, staff_user):
    loan_assess_late_fee(loan_id=loan.pk, installment_number=1, on=dt.date(2026, 2, 16))
    loan_waive_fee(
        loan_id=loan.pk,
        amount=Decimal("5.00"),
        reason="=HYPERLINK(1)",
        actor=staff_user,
        on=dt.date(2026, 2, 17),
    )
    body = b"".join(
        borrower_client.get(
            reverse("payments:activity_csv", args=[loan.pk]), {"kind": "fee_waiver"}
        ).streaming_content
    )
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    # Every free-text cell goes through the history CSV's guard; here it starts with the label.
    assert rows[1][2] == "Fee waived — =HYPERLINK(1)"
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"


def test_pdf_lists_the_activity(borrower_client, loan, story):
    response = borrower_client.get(reverse("payments:activity_pdf", args=[loan.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert rb"Payment returned \(R01\)" in response.content and b"Late fee" in response.content


def test_unapplied_money_refunded_is_listed_and_leaves_the_balance(loan, borrower, add_card, pay):
    from django.utils import timezone

    payment = pay(loan, add_card("4242424242424242"), "200.00", payer=borrower)
    Payment.objects.filter(pk=payment.pk).update(
        unapplied_amount=Decimal("20.00"), unapplied_refunded_at=timezone.now()
    )
    rows = activity_rows(loan_activity(loan))
    refund = rows[-1]
    assert refund.entry.kind == "refund" and refund.label == "Overpayment of $20.00 refunded"
    assert refund.entry.balance_after == rows[-2].entry.balance_after


def test_another_borrower_gets_404_on_every_activity_url(other_client, loan, story):
    for name in ("payments:activity", "payments:activity_csv", "payments:activity_pdf"):
        assert other_client.get(reverse(name, args=[loan.pk])).status_code == 404
