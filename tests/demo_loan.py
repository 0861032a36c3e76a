"""The loan most tests (and bench/) use, in one place: $25,000 at 6 % over 60 months, contract
2026-01-05, due the 5th from 2026-02-05, $483.32 a month; installments 1-10 paid by Nov 5, 2026,
so it is current on Nov 24, 2026 with 19 days' interest ($66.64) accrued and a payoff of
$21,401.74.

factories.LoanFactory(ten_paid=True) makes it; bulk loaders
(tests/payments/autopay/autopay_fixtures.py, bench/) spread DEMO_LOAN into Loan(...)."""

import datetime as dt
from decimal import Decimal

PRINCIPAL_AFTER_TEN = Decimal("21335.10")  # principal once installments 1-10 are paid
PAID_TOWARD_TEN = Decimal("4833.20")  # 10 × $483.32
INTEREST_THROUGH = dt.date(2026, 11, 5)  # the 10th installment's due date

# The balances after ten installments (what LoanFactory's ten_paid trait sets).
TEN_PAID = {
    "principal_balance": PRINCIPAL_AFTER_TEN,
    "interest_accrued_through": INTEREST_THROUGH,
    "paid_toward_installments": PAID_TOWARD_TEN,
}

# Every contract fact and balance, for Loan(...) without the factory.
DEMO_LOAN = {
    "vehicle_year": 2022,
    "vehicle_make": "Honda",
    "vehicle_model": "Accord",
    "billing_zip": "10001",
    "original_principal": Decimal("25000.00"),
    "apr_percent": Decimal("6.000"),
    "term_months": 60,
    "contract_date": dt.date(2026, 1, 5),
    "first_due_date": dt.date(2026, 2, 5),
    "due_day": 5,
    "installment_amount": Decimal("483.32"),
    **TEN_PAID,
}
