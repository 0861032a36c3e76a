"""Autopay schedule maths: which periods a plan has, when each is debited, and how much.

Pure functions: values in, values out, no ORM and no clock ("today" is an argument).
Contract due dates come from loans.calendar (the one rule); biweekly ones from dateutil's
rrule. A run date that is not a business day moves to the
previous business day, so the payment is never late because of a weekend or holiday.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from dateutil.rrule import WEEKLY, rrule

from ismartpay.core.money import ZERO, to_cents
from loans.calendar import previous_business_day
from loans.delinquency import ContractSchedule

MONTHLY_DUE = "monthly_due"
MONTHLY_DAY = "monthly_day"
BIWEEKLY = "biweekly"
AMOUNT_DUE = "due"
INSTALLMENT = "installment"
FIXED = "fixed"
EXTRA = "extra"


@dataclass(frozen=True)
class PlanTerms:
    """What the borrower chose."""

    schedule: str
    amount_rule: str
    start_date: dt.date
    end_date: dt.date | None = None
    day_of_month: int | None = None  # MONTHLY_DAY: 1–28
    fixed_amount: Decimal | None = None
    extra_amount: Decimal | None = None


# The contract facts a schedule needs: the same value type the delinquency rules use.
LoanTerms = ContractSchedule


@dataclass(frozen=True)
class Period:
    key: dt.date  # the installment's due date, or the biweekly date
    run_date: dt.date  # the business day the debit is made


def _as_datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)  # noqa: DTZ001 - rrule works on naive dates


def contract_due_dates(loan: LoanTerms) -> Iterator[dt.date]:
    """Every due date of the contract, one at a time (ContractSchedule.due_date: the one
    rule). Lazily: a caller after the next period does not pay for the whole term (the nightly
    reminders ask for hundreds of thousands of plans' next period)."""
    for number in range(1, loan.term_months + 1):
        yield loan.due_date(number)


def chosen_day_run_date(due: dt.date, day_of_month: int) -> dt.date:
    """The chosen day on or before the due date: in the due date's month if the day has not
    passed it, else in the month before."""
    if day_of_month <= due.day:
        return due.replace(day=day_of_month)
    return (due - relativedelta(months=1)).replace(day=day_of_month)


def _nominal_periods(
    plan: PlanTerms, loan: LoanTerms, from_key: dt.date | None = None
) -> Iterator[tuple[dt.date, dt.date]]:
    """(period key, nominal run date) pairs, starting near `from_key` when given (a cursor:
    the rrule starts there instead of at the contract's first due date)."""
    if plan.schedule == BIWEEKLY:
        start = plan.start_date
        if from_key is not None and from_key > start:
            start += dt.timedelta(days=14 * ((from_key - start).days // 14))
        for occurrence in rrule(WEEKLY, interval=2, dtstart=_as_datetime(start)):
            yield occurrence.date(), occurrence.date()
        return
    dues = contract_due_dates(loan)
    if from_key is not None and from_key > loan.first_due_date:
        months = (
            (from_key.year - loan.first_due_date.year) * 12
            + (from_key.month - loan.first_due_date.month)
            - 1
        )
        if 0 < months < loan.term_months:
            first = loan.due_date(months + 1)  # installment months+1's due date
            dues = contract_due_dates(
                LoanTerms(first, loan.due_day, loan.term_months - months, loan.installment)
            )
    for due in dues:
        if plan.schedule == MONTHLY_DAY:
            yield due, chosen_day_run_date(due, plan.day_of_month or 1)
        else:
            yield due, due


def periods(
    plan: PlanTerms,
    loan: LoanTerms,
    *,
    after: dt.date | None = None,
    run_through: dt.date | None = None,
    limit: int | None = None,
    from_key: dt.date | None = None,
) -> Iterator[Period]:
    """The plan's periods in order: those with a run date on or after the start date (and a
    nominal date on or before the end date), key after `after`, run date up to `run_through`."""
    produced = 0
    for key, nominal in _nominal_periods(plan, loan, from_key):
        if plan.end_date is not None and nominal > plan.end_date:
            return
        run_date = previous_business_day(nominal)
        if (
            run_date < plan.start_date
            or (after is not None and key <= after)
            or (from_key is not None and key < from_key)
        ):
            continue
        if run_through is not None and run_date > run_through:
            return
        yield Period(key=key, run_date=run_date)
        produced += 1
        if limit is not None and produced >= limit:
            return


def next_period(
    plan: PlanTerms,
    loan: LoanTerms,
    *,
    after: dt.date | None = None,
    not_before: dt.date | None = None,
    from_key: dt.date | None = None,
) -> Period | None:
    """The first period after key `after` whose run date is on or after `not_before`."""
    for period in periods(plan, loan, after=after, from_key=from_key):
        if not_before is None or period.run_date >= not_before:
            return period
    return None


def base_amount(plan: PlanTerms, *, installment: Decimal, amount_due: Decimal) -> Decimal:
    """The rule's amount before the payoff cap. Biweekly plans pay half the installment every
    two weeks (26 halves a year: one extra installment a year goes to principal)."""
    share = to_cents(installment / 2) if plan.schedule == BIWEEKLY else installment
    if plan.amount_rule == AMOUNT_DUE:
        return amount_due
    if plan.amount_rule == INSTALLMENT:
        return share
    if plan.amount_rule == FIXED:
        return plan.fixed_amount or ZERO
    if plan.amount_rule == EXTRA:
        return share + (plan.extra_amount or ZERO)
    raise ValueError(f"unknown amount rule {plan.amount_rule!r}")


def debit_amount(
    plan: PlanTerms, *, installment: Decimal, amount_due: Decimal, payoff: Decimal
) -> Decimal:
    """What one debit takes: the rule's amount, never more than the payoff (the final payment
    takes exactly the payoff), never negative."""
    amount = min(base_amount(plan, installment=installment, amount_due=amount_due), payoff)
    return max(amount, ZERO)


def minimum_fixed_amount(plan_schedule: str, installment: Decimal) -> Decimal:
    """A fixed amount must cover the installment (half of it for a biweekly plan)."""
    return to_cents(installment / 2) if plan_schedule == BIWEEKLY else installment
