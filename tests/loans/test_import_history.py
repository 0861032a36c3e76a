"""The import's payment-history columns: parsed, stored, and shown the same on every page
(dashboard, loan page, account activity) together with the ledger's postings since."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from factories import LoanLinkFactory, UserFactory

from loans.history import PRIOR_COLUMNS, interest_paid_figures, last_payment, paid_to_date
from loans.importing import COLUMNS, import_loans
from loans.models import Loan
from loans.services import loan_post_payment

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
HISTORY = ",".join(PRIOR_COLUMNS)
ROW = (
    "Acme Auto,A-1,1HGCM82633A004352,2022,Honda,Accord,10001,pat@example.com,25000.00,6.00,60,"
    "2026-01-05,2026-02-05,5,23579.07,2026-05-05,0.00"
)


def _import(history: str, *, today=TODAY):
    header = ",".join(COLUMNS) + "," + HISTORY
    return import_loans(f"{header}\n{ROW},{history}\n", today=today)


def test_history_columns_are_stored_as_of_the_import():
    assert _import("1449.96,330.33,330.33,2026-04-05,483.32").errors == []
    loan = Loan.objects.get(loan_number="A-1")
    assert (loan.prior_payments_total, loan.prior_interest_paid) == (
        Decimal("1449.96"),
        Decimal("330.33"),
    )
    assert (loan.prior_last_payment_date, loan.prior_last_payment_amount) == (
        dt.date(2026, 4, 5),
        Decimal("483.32"),
    )
    assert loan.prior_as_of == TODAY
    assert interest_paid_figures(loan, year=2026).this_year == Decimal("330.33")
    assert interest_paid_figures(loan, year=2027).this_year == Decimal("0.00")


def test_blank_history_columns_keep_what_the_loan_had():
    _import("1449.96,330.33,330.33,2026-04-05,483.32")
    assert _import(",,,,").errors == []
    loan = Loan.objects.get(loan_number="A-1")
    assert loan.prior_interest_paid == Decimal("330.33")
    assert loan.prior_last_payment_date == dt.date(2026, 4, 5)


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ("1449.96,,,,", "give payments_to_date, interest_paid_to_date and interest_paid_this_year"),
        ("100.00,330.33,0.00,,", "interest_paid_to_date cannot be more than payments_to_date"),
        (",,,2026-04-05,", "give last_payment_date and last_payment_amount together"),
        (",,,2026-12-05,483.32", "last_payment_date must be from contract_date to 2026-11-24"),
        ("-1.00,0.00,0.00,,", "payments_to_date must be an amount like 1234.56"),
    ],
)
def test_bad_history_is_reported_by_line_and_nothing_is_kept(history, message):
    result = _import(history)
    assert [(e.line, message in e.message) for e in result.errors] == [(2, True)]
    assert not Loan.objects.exists()


@pytest.fixture
def imported(client):
    """Imported with history, linked to a borrower, then one payment on the ledger."""
    _import("1449.96,330.33,330.33,2026-04-05,483.32")
    loan = Loan.objects.get(loan_number="A-1")
    user = UserFactory()
    LoanLinkFactory(user=user, loan=loan)
    posting = loan_post_payment(
        loan_id=loan.pk,
        amount=Decimal("483.32"),
        effective_date=dt.date(2026, 11, 24),
        idempotency_key="ledger-1",
    )
    client.force_login(user)
    return loan, posting, client


def _figures(page: str) -> dict:
    """The figures a page shows, by their label."""
    found = {}
    for label in ("Interest paid in 2026", "Interest paid to date", "Paid to date", "Last payment"):
        match = re.search(rf"<dt>{label}</dt><dd>(.*?)</dd>", page, re.S)
        if match:
            found[label] = re.sub(r"<[^>]+>|\s+", " ", match.group(1)).split()
    made = re.search(r"(\d+) of 60 payments made|<dt>Payments made</dt><dd>(\d+) of 60", page)
    found["made"] = made.group(1) or made.group(2)
    return found


def _pages(client, loan) -> dict[str, dict]:
    with time_machine.travel(NOW, tick=False):
        return {
            name: _figures(client.get(url).content.decode())
            for name, url in (
                ("dashboard", "/loans/"),
                ("detail", f"/loans/{loan.pk}/"),
                ("activity", f"/payments/loan/{loan.pk}/activity/"),
            )
        }


def test_figures_add_the_ledger_to_the_lender_record(imported):
    loan, posting, _ = imported
    loan.refresh_from_db()
    assert interest_paid_figures(loan, year=2026).to_date == Decimal("330.33") + posting.interest
    assert paid_to_date(loan) == Decimal("1933.28")
    assert last_payment(loan).date == dt.date(2026, 11, 24)


def test_dashboard_and_loan_page_agree(imported):
    loan, _, client = imported
    pages = _pages(client, loan)
    assert pages["dashboard"]["Last payment"] == pages["detail"]["Last payment"]
    assert pages["dashboard"]["Last payment"] == ["$483.32", "on", "Nov", "24,", "2026"]
    assert pages["dashboard"]["made"] == pages["detail"]["made"]


def test_loan_page_and_activity_agree(imported):
    loan, posting, client = imported
    pages = _pages(client, loan)
    interest = f"${Decimal('330.33') + posting.interest:,}"
    for label in ("Interest paid in 2026", "Interest paid to date", "Paid to date", "Last payment"):
        assert pages["detail"][label] == pages["activity"][label], label
    assert pages["activity"]["Interest paid to date"] == [interest]
    assert pages["activity"]["Paid to date"] == ["$1,933.28"]
    assert pages["detail"]["made"] == pages["activity"]["made"]


def test_dashboard_and_activity_agree(imported):
    loan, _, client = imported
    pages = _pages(client, loan)
    assert pages["dashboard"]["Last payment"] == pages["activity"]["Last payment"]
    assert pages["dashboard"]["made"] == pages["activity"]["made"]


def test_the_lenders_last_payment_shows_before_any_ledger_payment(client):
    _import("1449.96,330.33,330.33,2026-04-05,483.32")
    loan = Loan.objects.get(loan_number="A-1")
    user = UserFactory()
    LoanLinkFactory(user=user, loan=loan)
    client.force_login(user)
    pages = _pages(client, loan)
    for name in ("dashboard", "detail", "activity"):
        assert pages[name]["Last payment"] == ["$483.32", "on", "Apr", "5,", "2026"], name
