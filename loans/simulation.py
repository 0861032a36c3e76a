"""What-if payoff simulator: walks a loan forward payment by payment with daily interest.

It posts each simulated payment with the real posting functions (`accrue_interest`, `allocate`,
`apply`), so its answers follow exactly the rules applied to real money. Payments are assumed
to land on their scheduled dates (no business-day shift): this is an estimate, not a quote.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from ismartpay.core.money import is_cents, to_cents
from loans.allocation import (
    Balances,
    accrue_interest,
    allocate,
    apply,
    payoff_amount,
)
from loans.calendar import installment_due_date
from loans.interest import accrued_interest

MAX_PAYMENTS = 1200  # 100 years monthly or 46 biweekly: far beyond any auto loan
BIWEEKLY_DAYS = 14
_LONGEST_MONTH_DAYS = 31


class SimulationError(ValueError):
    """The simulation cannot produce a payoff (bad inputs, or no payoff within MAX_PAYMENTS)."""


class NonAmortizingError(SimulationError):
    """The regular payment does not cover the interest of a period, so the loan never ends."""


@dataclass(frozen=True)
class WhatIf:
    """Options on top of the regular installment (dollars, 2 decimals).

    extra_monthly: added to every monthly payment (biweekly: half of it to each payment).
    one_off_extra: added to the first payment only.
    biweekly: pay (installment + extra_monthly) / 2 every 14 days from the next due date.
    defer_months: the extension scenario: payments resume this many months after the next due
      date (interest keeps accruing meanwhile), so the payoff moves later and costs more.
    """

    extra_monthly: Decimal = Decimal("0.00")
    one_off_extra: Decimal = Decimal("0.00")
    biweekly: bool = False
    defer_months: int = 0

    def __post_init__(self) -> None:
        for name in ("extra_monthly", "one_off_extra"):
            value = getattr(self, name)
            if not isinstance(value, Decimal):
                raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
            if not value.is_finite() or value < 0 or not is_cents(value):
                raise SimulationError(f"{name} must be a non-negative amount in cents")
        months = self.defer_months
        if isinstance(months, bool) or not isinstance(months, int) or not 0 <= months <= 12:
            raise SimulationError("defer_months must be a whole number of months from 0 to 12")


@dataclass(frozen=True)
class SimulationResult:
    """When the loan would be paid off, in how many payments, and at what interest cost.

    total_interest counts every interest dollar the simulated payments pay, including interest
    already accrued (unpaid) on the as-of date.
    """

    payoff_date: dt.date
    payments_count: int
    total_interest: Decimal
    total_paid: Decimal


@dataclass(frozen=True)
class Comparison:
    """A scenario against the plain installment schedule; savings are negative if it is worse."""

    baseline: SimulationResult
    scenario: SimulationResult
    months_saved: int
    interest_saved: Decimal


def _payment_dates(next_due_date: dt.date, due_day: int, biweekly: bool) -> Iterator[dt.date]:
    """Yield payment dates: every due date, or every 14 days from the next due date."""
    for index in range(MAX_PAYMENTS):
        if biweekly:
            yield next_due_date + dt.timedelta(days=BIWEEKLY_DAYS * index)
        else:
            yield next_due_date + relativedelta(months=index, day=due_day)


def simulate(
    balances: Balances,
    *,
    apr_percent: Decimal,
    next_due_date: dt.date,
    due_day: int,
    installment: Decimal,
    as_of: dt.date,
    what_if: WhatIf | None = None,
    final_due_date: dt.date | None = None,
) -> SimulationResult:
    """Pay the installment (plus options) on every payment date until nothing is owed.

    `balances.interest` must be the interest accrued up to `as_of`; interest then accrues daily
    (actual/365) and is posted, rounded to cents, at each payment, as real postings are.
    `final_due_date` (the contract's last due date): the payment on or after it pays whatever
    is left, as the contract's final installment absorbs the remainder (domain.md).
    """
    what_if = what_if or WhatIf()
    _refuse_bad_inputs(installment, next_due_date=next_due_date, due_day=due_day, as_of=as_of)
    if payoff_amount(balances) == 0:
        return SimulationResult(as_of, 0, Decimal("0.00"), Decimal("0.00"))

    monthly = installment + what_if.extra_monthly
    regular = to_cents(monthly / 2) if what_if.biweekly else monthly
    period_days = BIWEEKLY_DAYS if what_if.biweekly else _LONGEST_MONTH_DAYS
    _refuse_non_amortizing(
        balances, apr_percent=apr_percent, regular=regular, as_of=as_of, period_days=period_days
    )

    accrued_through = as_of
    total_interest = total_paid = Decimal("0.00")
    first_date = next_due_date + relativedelta(months=what_if.defer_months, day=due_day)
    if final_due_date is not None and what_if.defer_months:
        # An extension moves every later installment, the contract's last one included.
        final_due_date = final_due_date + relativedelta(months=what_if.defer_months, day=due_day)
    dates = _payment_dates(first_date, due_day, what_if.biweekly)
    for count, day in enumerate(dates, start=1):
        balances = accrue_interest(balances, apr_percent, accrued_through, day)
        accrued_through = day
        wanted = regular + (what_if.one_off_extra if count == 1 else Decimal(0))
        if final_due_date is not None and day >= final_due_date:
            wanted = payoff_amount(balances)
        allocation = allocate(balances, min(wanted, payoff_amount(balances)))
        balances = apply(balances, allocation)
        total_interest += allocation.interest
        total_paid += allocation.total
        if payoff_amount(balances) == 0:
            return SimulationResult(day, count, total_interest, total_paid)
    raise SimulationError(f"the loan is not paid off within {MAX_PAYMENTS} payments")


def _refuse_bad_inputs(
    installment: Decimal, *, next_due_date: dt.date, due_day: int, as_of: dt.date
) -> None:
    if not isinstance(installment, Decimal) or not installment.is_finite():
        raise TypeError("installment must be a finite Decimal")
    if installment <= 0 or not is_cents(installment):
        raise SimulationError("installment must be a positive amount in cents")
    installment_due_date(next_due_date, due_day, 1)  # validates the date against the due day
    if next_due_date < as_of:
        raise SimulationError("the next due date must be on or after the as-of date")


def _refuse_non_amortizing(
    balances: Balances, *, apr_percent: Decimal, regular: Decimal, as_of: dt.date, period_days: int
) -> None:
    """Refuse a regular payment that never gets past a period's interest."""
    # A period's interest only shrinks as principal falls, so checking the first is enough.
    worst_interest = to_cents(
        accrued_interest(
            balances.principal, apr_percent, as_of, as_of + dt.timedelta(days=period_days)
        )
    )
    if regular <= worst_interest:
        raise NonAmortizingError(
            f"a payment of ${regular} does not cover up to ${worst_interest} of interest per "
            "period, so the loan would never be paid off"
        )


@dataclass(frozen=True)
class ContractFinish:
    """How the contract ends when every remaining installment is paid on its date."""

    maturity: dt.date  # the last installment's due date
    final_payment: Decimal  # dollars: the last installment, absorbing what remains
    total_interest: Decimal  # dollars paid as interest from the as-of date to the end


def contract_finish(
    balances: Balances,
    *,
    apr_percent: Decimal,
    next_due_date: dt.date,
    due_day: int,
    installment: Decimal,
    as_of: dt.date,
    payments_left: int,
    defer_months: int = 0,
) -> ContractFinish:
    """Pay `installment` on each of the `payments_left` remaining due dates, the first of them
    moved `defer_months` later (and every later one with it); the last pays whatever is owed
    then, as the contract's final installment absorbs the remainder. Interest accrues daily
    (actual/365) from `as_of` and is posted, rounded to cents, at each payment."""
    if payments_left < 1:
        raise SimulationError("there are no payments left")
    installment_due_date(next_due_date, due_day, 1)  # validates the date against the due day
    first = next_due_date + relativedelta(months=defer_months, day=due_day)
    accrued_through, total_interest = as_of, Decimal("0.00")
    for index in range(payments_left):
        day = first + relativedelta(months=index, day=due_day)
        balances = accrue_interest(balances, apr_percent, accrued_through, day)
        accrued_through = day
        owed = payoff_amount(balances)
        last = index == payments_left - 1 or owed <= installment
        allocation = allocate(balances, owed if last else installment)
        balances = apply(balances, allocation)
        total_interest += allocation.interest
        if last:
            return ContractFinish(day, allocation.total, total_interest)
    raise AssertionError("unreachable")  # pragma: no cover


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Count calendar-month steps from `earlier`'s month to `later`'s (negative if reversed)."""
    return (later.year - earlier.year) * 12 + (later.month - earlier.month)


def compare_to_baseline(
    balances: Balances,
    *,
    apr_percent: Decimal,
    next_due_date: dt.date,
    due_day: int,
    installment: Decimal,
    as_of: dt.date,
    what_if: WhatIf,
    final_due_date: dt.date | None = None,
) -> Comparison:
    """Simulate the plain installment and the `what_if` scenario and report what it saves."""
    results = [
        simulate(
            balances,
            apr_percent=apr_percent,
            next_due_date=next_due_date,
            due_day=due_day,
            installment=installment,
            as_of=as_of,
            what_if=options,
            final_due_date=final_due_date,
        )
        for options in (WhatIf(), what_if)
    ]
    baseline, scenario = results
    return Comparison(
        baseline=baseline,
        scenario=scenario,
        months_saved=months_between(scenario.payoff_date, baseline.payoff_date),
        interest_saved=baseline.total_interest - scenario.total_interest,
    )
