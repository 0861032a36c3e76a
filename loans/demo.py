"""Demo data for a developer's machine: a lender, a borrower and three loans whose dates are
set relative to "today" so every page shows something real (current, past due, nearly paid off).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from dateutil.relativedelta import relativedelta
from django.db import transaction

from accounts.models import User

from .calendar import due_date
from .models import Lender, Loan, LoanLink
from .schedule import amortization_schedule, installment_amount
from .services import loan_status_for

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "drive-it-home-2026"  # noqa: S105 — a published demo password, DEBUG only
DEMO_LENDER = "Demo Auto Finance"


@dataclass(frozen=True)
class DemoLoanSpec:
    loan_number: str
    vehicle: tuple[int, str, str]
    vin: str
    principal: Decimal
    apr_percent: Decimal
    term_months: int
    installments_paid: int
    months_since_first_due: int  # how many due dates have already passed, counting the first
    unpaid_fees: Decimal = Decimal("0.00")


DEMO_LOANS = [
    DemoLoanSpec(
        "DA-100234",
        (2023, "Honda", "Civic"),
        "2HGFE2F59PH512345",
        Decimal("25000.00"),
        Decimal("6.00"),
        60,
        installments_paid=13,
        months_since_first_due=13,
    ),
    DemoLoanSpec(
        "DA-100871",
        (2021, "Ford", "F-150"),
        "1FTFW1E85MFA67890",
        Decimal("38000.00"),
        Decimal("8.49"),
        72,
        installments_paid=20,
        months_since_first_due=21,
        unpaid_fees=Decimal("25.00"),
    ),
    DemoLoanSpec(
        "DA-099412",
        (2020, "Toyota", "Camry"),
        "4T1B11HK5LU024680",
        Decimal("18000.00"),
        Decimal("4.90"),
        48,
        installments_paid=46,
        months_since_first_due=46,
    ),
]


@dataclass(frozen=True)
class DemoResult:
    user_created: bool
    loans_created: int


@transaction.atomic
def seed_demo_data(*, today: dt.date) -> DemoResult:
    """Create what is missing; never change what exists, so running it twice changes nothing."""
    lender, _ = Lender.objects.get_or_create(name=DEMO_LENDER)
    user, user_created = User.objects.get_or_create(
        email=DEMO_EMAIL, defaults={"full_name": "Dana Demo", "phone": "+1 555 0100"}
    )
    if user_created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
    )
    created = 0
    for spec in DEMO_LOANS:
        if not Loan.objects.filter(lender=lender, loan_number=spec.loan_number).exists():
            loan = Loan.objects.create(lender=lender, **_loan_fields(spec, today))
            # The status the delinquency rule gives on `today` (the one rule the ledger applies
            # after each posting): the past-due loan is "Past due" from the start.
            loan.status = loan_status_for(loan, today)
            loan.save(update_fields=["status"])
            LoanLink.objects.create(user=user, loan=loan, role=LoanLink.Role.BORROWER)
            created += 1
    return DemoResult(user_created=user_created, loans_created=created)


def _loan_fields(spec: DemoLoanSpec, today: dt.date) -> dict:
    due_day = min(today.day + 6, 28) if today.day <= 22 else 5
    # The most recent due date on or before today, then back to the first one.
    latest_due = due_date(today.year, today.month, due_day)
    if latest_due > today:
        latest_due = latest_due - relativedelta(months=1)
    first_due = latest_due - relativedelta(months=spec.months_since_first_due - 1)
    first_due = due_date(first_due.year, first_due.month, due_day)
    schedule = amortization_schedule(
        spec.principal, spec.apr_percent, spec.term_months, first_due, due_day
    )
    paid = schedule[spec.installments_paid - 1]
    year, make, model = spec.vehicle
    return {
        "loan_number": spec.loan_number,
        "vin": spec.vin,
        "vehicle_year": year,
        "vehicle_make": make,
        "vehicle_model": model,
        "billing_zip": "10001",
        "borrower_email": DEMO_EMAIL,
        "original_principal": spec.principal,
        "apr_percent": spec.apr_percent,
        "term_months": spec.term_months,
        "contract_date": first_due - relativedelta(months=1),
        "first_due_date": first_due,
        "due_day": due_day,
        "installment_amount": installment_amount(
            spec.principal, spec.apr_percent, spec.term_months
        ),
        "principal_balance": paid.balance_after,
        "interest_accrued_through": paid.due_date,
        "unpaid_fees": spec.unpaid_fees,
        # The lender dealt with the late fee of every installment due so far: paid in time, or
        # missed with its fee in `unpaid_fees` (the past-due loan's $25 is installment 21's).
        "late_fees_assessed_through": spec.months_since_first_due,
        "paid_toward_installments": sum(
            (row.payment for row in schedule[: spec.installments_paid]), Decimal("0.00")
        ),
    }
