"""Reads for loan pages. Pages get precomputed values; templates do no arithmetic."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F

from ismartpay.core.errors import NotFound
from ismartpay.core.money import ZERO, to_cents
from ismartpay.core.today import business_date

from . import calendar, delinquency, flags, history, interest, permissions, schedule, simulation
from .allocation import Balances, accrue_interest, payoff_amount
from .badges import DUE_SOON_DAYS, StatusBadge, status_badge  # noqa: F401  (re-exported)
from .models import Loan, LoanLink


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
    autopay_on: bool = False
    last_payment: history.LastPayment | None = None  # loans/history.py: ledger or record
    role: str = LoanLink.Role.BORROWER  # the viewing user's link role
    can_pay: bool = True
    can_manage_autopay: bool = True
    # Scheduled payments and the next autopay debit (payments/upcoming.py fills it in).
    on_the_way: object = None
    paid_through_date: dt.date | None = None  # due date of the last installment covered
    next_payment_amount: Decimal = ZERO  # what the next uncovered installment asks for

    @property
    def is_paid_off(self) -> bool:
        return self.payoff_today == 0

    @property
    def last_payment_label(self) -> str:
        """What "Last payment" says when the ledger has none: installments covered before the
        loan came to iSmartPay are payments made, so "None yet" would contradict the count."""
        return "None through iSmartPay yet" if self.payments_made else "None yet"

    @property
    def last_payment_date(self) -> dt.date | None:
        return self.last_payment.date if self.last_payment else None

    @property
    def last_payment_amount(self) -> Decimal | None:
        return self.last_payment.amount if self.last_payment else None


def loan_apr_caps(loan: Loan) -> tuple[interest.RateCap, ...]:
    """The loan's SCRA rate caps (kept on the loan row from its military flags: no query)."""
    return flags.caps_from_record(loan.rate_caps)


def loan_balances_on(loan: Loan, on: dt.date) -> Balances:
    """The loan's balances with interest accrued from its last accrual date up to `on`.

    The one place a loan's interest is accrued for posting or showing: days inside an SCRA
    flag accrue at min(APR, 6 %) (loans/flags.py).
    """
    posted = Balances(loan.principal_balance, loan.accrued_interest, loan.unpaid_fees)
    return accrue_interest(
        posted, loan.apr_percent, loan.interest_accrued_through, on, apr_caps=loan_apr_caps(loan)
    )


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


def loan_summary(
    loan: Loan, *, today: dt.date, autopay_loan_ids: frozenset[int] | set[int] = frozenset()
) -> LoanSummary:
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
    role = getattr(loan, "link_role", LoanLink.Role.BORROWER)
    final = next_due is not None and made + 1 >= loan.term_months
    return LoanSummary(
        loan=loan,
        next_due_date=next_due,
        amount_due=delinquency.amount_due_now(schedule, position, today),
        past_due_amount=delinquency.past_due_amount(schedule, position, today),
        days_past_due=days_late,
        status=status_badge(status, days_late, next_due, today),
        payoff_today=position.payoff,
        payments_made=made,
        payments_left=loan.term_months - made,
        percent_paid=int(to_cents(repaid * 100 / loan.original_principal)),
        autopay_on=loan.pk in autopay_loan_ids,
        last_payment=history.last_payment(loan),
        role=role,
        can_pay=permissions.can_pay(role),
        can_manage_autopay=permissions.can_manage_autopay(role),
        paid_through_date=schedule.due_date(made) if 0 < made <= loan.term_months else None,
        next_payment_amount=(
            ZERO
            if next_due is None
            else position.installment_balance
            if final
            else min(loan.installment_amount, position.installment_balance)
        ),
    )


def dashboard_for_user(
    user, *, now: dt.datetime, autopay_loan_ids: frozenset[int] | set[int] = frozenset()
) -> list[LoanSummary]:
    """Every loan the user may see, in one query, newest link first, each as of its lender's
    business date at `now` (a borrower may have loans of lenders in other time zones: around
    midnight they are on different days, and the money figures are the lender's).

    `autopay_loan_ids`: the user's loans with an active autopay plan, for "On" (loans does not
    import payments). The dashboard view passes none and sets `autopay_on` afterwards from the
    plans payments.upcoming.on_the_way reads anyway.
    """
    loans = (
        Loan.objects.filter(links__user=user)
        .select_related("lender")
        .annotate(link_role=F("links__role"))
        .order_by("-links__created_at", "pk")
    )
    return [
        loan_summary(loan, today=business_date(loan.lender, now), autopay_loan_ids=autopay_loan_ids)
        for loan in loans
    ]


# What a page needs to do with the loan -> the rule (loans/permissions.py) that allows it.
_NEEDS = {
    "view": permissions.can_view,
    "pay": permissions.can_pay,
    "autopay": permissions.can_manage_autopay,
    "owner": permissions.is_owner,
}


def loan_get_for_user(user, loan_id: int | str, *, need: str = "view") -> Loan:
    """The loan if `user` may see it (`need="view"`), pay it (`"pay"`), manage its autopay
    (`"autopay"`) or decide who shares it (`"owner"`), else NotFound (a 404 in the view layer).

    Every page and action that takes a loan id goes through here: another borrower, an
    anonymous visitor, a revoked third party, or one whose role does not allow `need` all get
    the same 404. The loan comes with its lender and `link_role` (the user's role on it).
    """
    if need not in _NEEDS:
        raise ValueError(f"need must be one of {sorted(_NEEDS)}, not {need!r}")
    if not getattr(user, "is_authenticated", False):
        raise NotFound("No such loan")
    try:
        loan_pk = int(loan_id)
    except (TypeError, ValueError):
        raise NotFound("No such loan") from None
    loan = (
        Loan.objects.filter(pk=loan_pk, links__user=user)
        .select_related("lender")
        .annotate(link_role=F("links__role"))
        .first()
    )
    if loan is None or not _NEEDS[need](loan.link_role):
        raise NotFound("No such loan")
    return loan


def interest_paid(loan: Loan, *, year: int | None = None) -> Decimal:
    """Interest paid before iSmartPay (the lender's record) plus on the ledger, to date or in
    one calendar year of effective dates (loans/history.py)."""
    if year is None:
        return history.interest_paid_figures(loan, year=1).to_date
    return history.interest_paid_figures(loan, year=year).this_year


@dataclass(frozen=True)
class PayoffQuote:
    """What settles the loan if paid by `good_through` (binding: see domain-decisions.md)."""

    quoted_on: dt.date
    good_through: dt.date
    principal: Decimal
    interest: Decimal  # accrued and unpaid through good_through
    fees: Decimal
    amount: Decimal
    per_diem: Decimal  # one more day's interest after good_through, in cents
    tolerance: Decimal  # a residual up to this is written off, never billed


def payoff_quote(loan: Loan, *, today: dt.date, good_through: dt.date) -> PayoffQuote:
    balances = loan_balances_on(loan, max(good_through, today))
    return PayoffQuote(
        quoted_on=today,
        good_through=good_through,
        principal=balances.principal,
        interest=balances.interest,
        fees=balances.fees,
        amount=payoff_amount(balances),
        per_diem=to_cents(interest.per_diem(balances.principal, loan.apr_percent)),
        tolerance=loan.lender.payoff_tolerance,
    )


@dataclass(frozen=True)
class LoanDetail:
    summary: LoanSummary
    interest_paid_this_year: Decimal
    interest_paid_to_date: Decimal
    paid_to_date: Decimal
    maturity_date: dt.date
    year: int


def loan_detail(loan: Loan, *, today: dt.date) -> LoanDetail:
    """The loan page's figures (the schedule is paginated separately)."""
    paid, paid_to_date = history.paid_figures(loan, year=today.year)
    return LoanDetail(
        summary=loan_summary(loan, today=today),
        interest_paid_this_year=paid.this_year,
        interest_paid_to_date=paid.to_date,
        paid_to_date=paid_to_date,
        maturity_date=contract_schedule(loan).due_date(loan.term_months),
        year=today.year,
    )


def amortization_for(loan: Loan) -> list[schedule.ScheduledInstallment]:
    """The contract's nominal schedule (what the borrower signed), not the live balance."""
    return schedule.amortization_schedule(
        loan.original_principal,
        loan.apr_percent,
        loan.term_months,
        loan.first_due_date,
        loan.due_day,
    )


def loan_what_if(loan: Loan, *, today: dt.date, what_if: simulation.WhatIf):
    """Compare the plain schedule with `what_if`, from today's balances and next due date.

    Raises SimulationError when there is nothing to simulate (paid off, term over).
    """
    balances = loan_balances_on(loan, today)
    if payoff_amount(balances) == 0:
        raise simulation.SimulationError("This loan is paid off.")
    next_due = calendar.next_due_date_on_or_after(
        loan.first_due_date, loan.due_day, loan.term_months, today
    )
    if next_due is None:
        raise simulation.SimulationError("The loan's term is over: the whole balance is due.")
    # The same "next payment" and "last payment" as the loan page (issue 11, item 8): the
    # first installment not yet covered (when paid ahead), and the contract's final due date,
    # whose installment absorbs the remainder.
    unpaid = loan_summary(loan, today=today).next_due_date
    if unpaid is not None and unpaid > next_due:
        next_due = unpaid
    return simulation.compare_to_baseline(
        balances,
        apr_percent=loan.apr_percent,
        next_due_date=next_due,
        due_day=loan.due_day,
        installment=loan.installment_amount,
        as_of=today,
        what_if=what_if,
        final_due_date=contract_schedule(loan).due_date(loan.term_months),
    )


# Re-exported (the calendar events moved to loans/calendar_events.py; it imports this module).
from .calendar_events import CalendarEvent, calendar_events_for_user  # noqa: E402, F401
