"""Second new-user review of the staff console: the Waive-a-fee and Credit pages showed the
loan's stored balances ("interest $0.00" on a loan owing interest accrued to today). They show
the balances on the lender's business date, from the selector the request preview and the
loan page's "Position today" use (loans.selectors.loan_balances_on)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory
from staff_helpers import NOW, make_staff, staff_client

from accounts.roles import SUPERVISOR

pytestmark = pytest.mark.django_db


def balances_line(loan, action: str) -> str:
    page = staff_client(make_staff(SUPERVISOR)).get(f"/admin/loans/loan/{loan.pk}/{action}/")
    assert page.status_code == 200
    text = page.content.decode()
    start = text.index(f"Loan <strong>{loan}</strong>")
    return text[start : text.index("</p>", start)]


@pytest.mark.parametrize("action", ["waive-fee", "credit"])
def test_the_money_pages_show_the_demo_loans_balances_on_the_business_date(action):
    loan = LoanFactory(ten_paid=True, unpaid_fees=Decimal("125.00"))
    with time_machine.travel(NOW, tick=False):  # Nov 24: 19 days' interest since Nov 5
        shown = balances_line(loan, action)
    assert shown.endswith(
        "as of Nov. 24, 2026: principal $21,335.10, interest $66.64, unpaid fees $125.00."
    )


def test_the_money_pages_show_interest_accrued_months_after_the_last_posting():
    loan = LoanFactory(ten_paid=True)
    # 141 days' interest on $21,335.10 at 6 % (Nov 5, 2026 to Mar 26, 2027):
    # 21,335.10 × 0.06 ÷ 365 × 141 = 494.507 → $494.51.
    with time_machine.travel(dt.datetime(2027, 3, 26, 15, 0, tzinfo=dt.UTC), tick=False):
        shown = balances_line(loan, "credit")
    assert shown.endswith(
        "as of March 26, 2027: principal $21,335.10, interest $494.51, unpaid fees $0.00."
    )
