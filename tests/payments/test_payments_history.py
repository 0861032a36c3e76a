"""Payment history: list, filters, pagination, CSV export and PDF receipts."""

import csv
import io
import re
from decimal import Decimal

import pytest
from card_leaks import luhn_runs
from django.urls import reverse

from loans.models import LoanPosting
from payments.history import CSV_COLUMNS
from payments.models import Payment

pytestmark = pytest.mark.django_db

HISTORY = "/payments/history/"
BOM = b"\xef\xbb\xbf"  # UTF-8 byte order mark: Excel reads the file as UTF-8


def page_of(client, **params) -> str:
    response = client.get(HISTORY, params)
    assert response.status_code == 200
    return response.content.decode()


def csv_rows(response) -> list[list[str]]:
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM) and body.count(BOM) == 1
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_urls_are_the_documented_ones():
    assert reverse("payments:history") == HISTORY
    assert reverse("payments:history_csv") == "/payments/history.csv"
    assert reverse("payments:receipt_pdf", args=["PABCDE-FGHJK"]) == (
        "/payments/p/PABCDE-FGHJK/receipt.pdf"
    )


def test_history_shows_each_payment_with_its_allocation(
    borrower_client, borrower, loan, add_card, pay
):
    payment = pay(loan, add_card("4242424242424242"), "300.00", payer=borrower)
    posting = LoanPosting.objects.get(pk=payment.loan_posting_id)
    page = page_of(borrower_client)
    assert "$300.00" in page and "Visa •••• 4242" in page and payment.reference in page
    assert ">Posted<" in page and loan.loan_number in page
    assert payment.effective_date.strftime("%b %-d, %Y") in page
    for part in (posting.fees, posting.interest, posting.principal):
        assert f"${part:,}" in page
    assert posting.fees + posting.interest + posting.principal == Decimal("300.00")
    assert f'href="/payments/p/{payment.reference}/receipt.pdf"' in page
    assert f"/payments/p/{payment.reference}/help/" not in page  # nothing went wrong


def test_a_declined_payment_links_to_the_troubleshooter_and_has_no_allocation(
    borrower_client, borrower, loan, add_card, pay
):
    payment = pay(loan, add_card("4000000000009995"), "80.00", payer=borrower)
    page = page_of(borrower_client)
    assert ">Declined<" in page and "To principal" not in page
    assert f'href="/payments/p/{payment.reference}/help/"' in page


def test_history_lists_only_payments_the_borrower_may_see(
    borrower_client, borrower, other_borrower, loan, make_loan, add_card, pay
):
    mine = pay(loan, add_card("4242424242424242"), "10.00", payer=borrower)
    theirs_loan = make_loan(other_borrower)
    theirs = pay(
        theirs_loan,
        add_card("4242424242424242", owner=other_borrower),
        "11.00",
        payer=other_borrower,
    )
    page = page_of(borrower_client)
    assert mine.reference in page and theirs.reference not in page
    assert theirs_loan.loan_number not in page  # not even in the loan filter


def test_history_filters_by_loan_status_and_dates(
    borrower_client, borrower, loan, make_loan, add_card, pay
):
    second_loan = make_loan(borrower)
    card = add_card("4242424242424242")
    first = pay(loan, card, "10.00", payer=borrower)
    second = pay(second_loan, card, "20.00", payer=borrower)
    failed = pay(loan, add_card("4000000000000002"), "30.00", payer=borrower)
    day = first.effective_date.isoformat()

    page = page_of(borrower_client, loan=second_loan.pk)
    assert second.reference in page and first.reference not in page
    page = page_of(borrower_client, status="failed")
    assert failed.reference in page and first.reference not in page
    assert "1 payment matches your filters" in page
    page = page_of(borrower_client, date_from=day, date_to=day)
    assert all(p.reference in page for p in (first, second, failed))
    page = page_of(borrower_client, date_to="2000-01-01")
    assert "No payments match" in page and first.reference not in page


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "2026-13-45"}, "date_from", "Enter a real date, for example 03/31/2026."),
        ({"date_to": "yesterday"}, "date_to", "Enter a real date, for example 03/31/2026."),
        ({"date_from": "99999-01-01"}, "date_from", "Enter a real date, for example 03/31/2026."),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_to", "before the start"),
        ({"status": "bogus"}, "status", "Select a valid choice"),
        ({"loan": "abc"}, "loan", "Select a valid choice"),
        ({"loan": "999999"}, "loan", "Select a valid choice"),
    ],
)
def test_bad_filters_are_field_errors_never_500(borrower_client, loan, params, field, message):
    response = borrower_client.get(HISTORY, params)
    assert response.status_code == 200
    error = re.search(rf'id="id_{field}_error">([^<]*)<', response.content.decode())
    assert error and message in error.group(1)
    csv_response = borrower_client.get("/payments/history.csv", params)
    assert csv_response.status_code == 200


def test_history_paginates_25_a_page(borrower_client, borrower, loan, add_card, pay):
    card = add_card("4242424242424242")
    refs = [pay(loan, card, f"{n + 1}.00", payer=borrower).reference for n in range(27)]
    first = page_of(borrower_client)
    assert "27 payments" in first and "Page 1 of 2" in first
    assert sum(ref in first for ref in refs) == 25 and refs[-1] in first
    second = page_of(borrower_client, page=2)
    assert sum(ref in second for ref in refs) == 2 and refs[0] in second
    assert 'href="?page=1"' in second
    assert "Page 2 of 2" in page_of(borrower_client, page=99)  # out of range: the last page
    assert "Page 1 of 2" in page_of(borrower_client, page="x")


def _make_history(loan, borrower, card, pay, count):
    for n in range(count):
        pay(loan, card, f"{n + 1}.00", payer=borrower)


# 9 + 1 for the header's unread badges (accounts/inbox.py unread_counts, one query).
def test_history_queries_do_not_grow_with_the_history(
    borrower_client, borrower, loan, add_card, pay, django_assert_max_num_queries
):
    card = add_card("4242424242424242")
    _make_history(loan, borrower, card, pay, 2)
    page_of(borrower_client)  # the session's once-a-minute save, done before measuring
    with django_assert_max_num_queries(10) as small:
        page_of(borrower_client)
    _make_history(loan, borrower, card, pay, 30)
    with django_assert_max_num_queries(10) as large:
        page_of(borrower_client, status="posted", date_from="2020-01-01")
    assert len(large.captured_queries) == len(small.captured_queries)
    # The linked loans are read once, for the filter's choices and the access rule's ids:
    # no statement of its own for the links.
    assert not [q for q in large.captured_queries if 'FROM "loans_loanlink"' in q["sql"]]


def test_csv_has_the_documented_columns_and_exact_values(
    borrower_client, borrower, loan, add_card, pay
):
    card = add_card("4242424242424242")
    posted = pay(loan, card, "300.00", payer=borrower)
    failed = pay(loan, add_card("4000000000000002"), "45.50", payer=borrower)
    posting = LoanPosting.objects.get(pk=posted.loan_posting_id)
    response = borrower_client.get("/payments/history.csv")
    assert 'attachment; filename="ismartpay-payments-' in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert (
        header
        == list(CSV_COLUMNS)
        == [
            "reference",
            "created_at",
            "effective_date",
            "loan_number",
            "amount",
            "fee_amount",
            "method",
            "status",
            "fees_applied",
            "interest_applied",
            "principal_applied",
            "status_shown",
            "date_shown",
        ]
    )
    assert rows[0] == [
        failed.reference,
        failed.created_at.astimezone(__import__("datetime").UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        failed.effective_date.isoformat(),
        loan.loan_number,
        "45.50",
        "0.00",
        "Visa •••• 0002",
        "failed",
        "",
        "",
        "",
        "Declined",
        __import__("django.utils.timezone")
        .utils.timezone.localtime(failed.created_at)
        .date()
        .isoformat(),
    ]
    assert rows[1][0] == posted.reference and rows[1][4:8] == [
        "300.00",
        "0.00",
        "Visa •••• 4242",
        "posted",
    ]
    assert rows[1][8:11] == [f"{posting.fees}", f"{posting.interest}", f"{posting.principal}"]
    assert rows[1][11:] == ["Posted", posted.effective_date.isoformat()]
    assert len(rows) == 2


def test_csv_follows_the_filters_and_queries_do_not_grow(
    borrower_client, borrower, loan, add_card, pay, django_assert_max_num_queries
):
    card = add_card("4242424242424242")
    _make_history(loan, borrower, card, pay, 3)
    pay(loan, add_card("4000000000000002"), "99.00", payer=borrower)
    borrower_client.get("/payments/history.csv")  # the session's once-a-minute save, done
    with django_assert_max_num_queries(11) as small:
        rows = csv_rows(borrower_client.get("/payments/history.csv", {"status": "failed"}))
    assert [r[7] for r in rows[1:]] == ["failed"]
    _make_history(loan, borrower, card, pay, 30)
    with django_assert_max_num_queries(11) as large:
        rows = csv_rows(borrower_client.get("/payments/history.csv"))
    assert len(rows) == 1 + 34
    assert len(large.captured_queries) == len(small.captured_queries)


def test_csv_is_utf8_with_a_bom_so_excel_shows_the_card_bullets(
    borrower_client, borrower, loan, add_card, pay
):
    payment = pay(loan, add_card("4242424242424242"), "300.00", payer=borrower)
    response = borrower_client.get("/payments/history.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbfreference,created_at,effective_date,loan_number,")
    assert body.count(b"\xef\xbb\xbf") == 1  # once, at the start, not per streamed chunk
    assert f"{payment.reference},".encode() in body
    assert b",Visa \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2 4242,posted," in body


def test_csv_neutralises_spreadsheet_formulas():
    from payments.history import csv_cell as _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _cell("L-000123") == "L-000123"


def test_receipt_pdf_has_the_reference_and_amount_and_only_the_last_4(
    borrower_client, borrower, loan, add_card, pay
):
    payment = pay(loan, add_card("4242424242424242"), "123.45", payer=borrower)
    response = borrower_client.get(f"/payments/p/{payment.reference}/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="receipt-{payment.reference}.pdf"'
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    assert f"({payment.reference})".encode() in pdf and b"($123.45)" in pdf
    assert b"(Visa ending 4242)" in pdf
    assert b"4242424242424242" not in pdf
    assert luhn_runs(pdf.decode("latin-1")) == []


def test_a_viewer_sees_history_and_receipts_of_the_loan(
    client, borrower, other_borrower, loan, add_card, pay
):
    from factories import LoanLinkFactory

    LoanLinkFactory(user=other_borrower, loan=loan, role="viewer")
    payment = pay(loan, add_card("4242424242424242"), "50.00", payer=borrower)
    client.force_login(other_borrower)
    assert payment.reference in client.get(HISTORY).content.decode()
    assert client.get(f"/payments/p/{payment.reference}/receipt.pdf").status_code == 200


@pytest.mark.parametrize("suffix", ["receipt.pdf", "help/"])
@pytest.mark.parametrize("http_method", ["get", "post"])
def test_another_borrowers_payment_is_404_and_nothing_changes(
    other_client, borrower, loan, add_card, pay, suffix, http_method
):
    payment = pay(loan, add_card("4000000000000002"), "50.00", payer=borrower)
    before = list(Payment.objects.values())
    response = getattr(other_client, http_method)(f"/payments/p/{payment.reference}/{suffix}")
    assert response.status_code == 404
    assert list(Payment.objects.values()) == before
    assert payment.reference not in other_client.get(HISTORY).content.decode()


def test_an_unknown_reference_is_404(borrower_client):
    assert borrower_client.get("/payments/p/PNOPE-NOPE2/receipt.pdf").status_code == 404


def test_the_history_query_can_use_the_payment_indexes_not_a_scan_of_every_payment(borrower, loan):
    """`loan_id IN (subquery) OR payer_id = …` has no index path: PostgreSQL read every payment
    row on each history page (628,727 in the page bench). With the linked loan ids as constants
    both sides are index scans. Measured with sequential scans priced out, so the planner
    takes an index path whenever one exists."""
    from django.db import connection

    from payments.selectors import payments_visible_to

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL plan")
    page = payments_visible_to(borrower).order_by("-created_at", "-pk")[:25]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on payments_payment" not in plan
    assert "Index Cond" in plan


def test_the_filters_loans_are_the_loans_the_access_rule_reads(borrower, other_borrower, make_loan):
    """History hands the filter's loans to payments_visible_to as the user's linked loans:
    they must be the same set as the rule's own read of LoanLink, for every role."""
    from factories import LoanLinkFactory

    from loans.models import LoanLink
    from payments.history import history_loans_for_user

    make_loan(borrower)
    shared = make_loan(borrower)
    make_loan(other_borrower, role="borrower")
    LoanLinkFactory(user=other_borrower, loan=shared, role="viewer")
    for user in (borrower, other_borrower):
        filter_ids = sorted(loan.pk for loan in history_loans_for_user(user))
        rule_ids = sorted(LoanLink.objects.filter(user=user).values_list("loan_id", flat=True))
        assert filter_ids == rule_ids and len(filter_ids) == 2
