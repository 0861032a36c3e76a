"""Reads for loan pages. Pages get precomputed values; templates do no arithmetic."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ismartpay.core.money import to_cents

from . import delinquency
from .allocation import Balances, accrue_interest, payoff_amount
from .models import Loan

DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class StatusBadge:
    label: str
    tone: str  # design-system tone: success | warning | danger | neutral | info


@dataclass(frozen=True)
class LoanSummary:
    """One loan as the dashboard shows it, computed for `today`."""

    loan: Loan
    next_due_date: dt.date | None
    amount_due: Decimal
    past_due_amount: Decimal
    days_past_due: int
    status: StatusBadge
    payoff_today: Decimal
    payments_made: int
    payments_left: int
    percent_paid: int  # of the original principal, whole percent


def loan_balances_on(loan: Loan, on: dt.date) -> Balances:
    """The loan's balances with interest accrued from its last accrual date up to `on`."""
    posted = Balances(loan.principal_balance, loan.accrued_interest, loan.unpaid_fees)
    return accrue_interest(posted, loan.apr_percent, loan.interest_accrued_through, on)


def contract_schedule(loan: Loan) -> delinquency.ContractSchedule:
    return delinquency.ContractSchedule(
        first_due_date=loan.first_due_date,
        due_day=loan.due_day,
        term_months=loan.term_months,
        installment=loan.installment_amount,
    )


def loan_position(loan: Loan, on: dt.date) -> delinquency.LoanPosition:
    return delinquency.LoanPosition(
        paid_toward_installments=loan.paid_toward_installments,
        unpaid_fees=loan.unpaid_fees,
        payoff=payoff_amount(loan_balances_on(loan, on)),
    )


def _status_badge(
    status: str, days_late: int, next_due: dt.date | None, today: dt.date
) -> StatusBadge:
    if status in (Loan.Status.CHARGED_OFF, Loan.Status.CLOSED):
        return StatusBadge(Loan.Status(status).label, "neutral")
    if status == delinquency.PAID_OFF:
        return StatusBadge("Paid off", "success")
    if status == delinquency.PAST_DUE:
        return StatusBadge(f"Past due {days_late} day{'s' if days_late != 1 else ''}", "danger")
    if next_due is not None and (next_due - today).days <= DUE_SOON_DAYS:
        return StatusBadge("Due soon", "warning")
    return StatusBadge("Current", "success")


def loan_summary(loan: Loan, *, today: dt.date) -> LoanSummary:
    schedule = contract_schedule(loan)
    position = loan_position(loan, today)
    computed = delinquency.loan_status(schedule, position, today)
    status = (
        loan.status if loan.status in (Loan.Status.CHARGED_OFF, Loan.Status.CLOSED) else computed
    )
    days_late = delinquency.days_past_due(schedule, position, today)
    next_due = delinquency.next_payment_due_date(schedule, position)
    made = delinquency.covered_installments(schedule, position)
    repaid = loan.original_principal - loan.principal_balance
    return LoanSummary(
        loan=loan,
        next_due_date=next_due,
        amount_due=delinquency.amount_due_now(schedule, position, today),
        past_due_amount=delinquency.past_due_amount(schedule, position, today),
        days_past_due=days_late,
        status=_status_badge(status, days_late, next_due, today),
        payoff_today=position.payoff,
        payments_made=made,
        payments_left=loan.term_months - made,
        percent_paid=int(to_cents(repaid * 100 / loan.original_principal)),
    )


def dashboard_for_user(user, *, today: dt.date) -> list[LoanSummary]:
    """Every loan the user is linked to, in one query, newest link first."""
    loans = (
        Loan.objects.filter(links__user=user)
        .select_related("lender")
        .order_by("-links__created_at", "pk")
    )
    return [loan_summary(loan, today=today) for loan in loans]
