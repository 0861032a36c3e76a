"""The contract's installment and its nominal amortization schedule (monthly rate APR/12).

The schedule is the contract's picture; actual servicing accrues daily interest (see
`loans.interest`), so real balances drift from it by a few days' interest (leap days and month
lengths).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ismartpay.core.money import math_context, to_cents
from loans.calendar import due_dates

_MONTHS_PER_YEAR = Decimal(12)


@dataclass(frozen=True)
class ScheduledInstallment:
    """One row of the contract schedule; all amounts in dollars with 2 decimals."""

    number: int
    due_date: dt.date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance_after: Decimal


def _check_terms(principal: Decimal, apr_percent: Decimal, term_months: int) -> None:
    """Refuse inputs no auto-loan contract has: non-Decimal, non-positive or non-cent amounts."""
    for name, value in (("principal", principal), ("apr_percent", apr_percent)):
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError(f"{name} must be a finite Decimal")
    if principal <= 0 or principal != to_cents(principal):
        raise ValueError("principal must be a positive amount in cents")
    if apr_percent < 0:
        raise ValueError("APR must not be negative")
    if isinstance(term_months, bool) or not isinstance(term_months, int) or term_months < 1:
        raise ValueError("term must be a whole number of months, at least 1")


def monthly_rate(apr_percent: Decimal) -> Decimal:
    """Return the nominal monthly rate as a fraction: APR% / 100 / 12, unrounded."""
    with math_context():
        return apr_percent / 100 / _MONTHS_PER_YEAR


def monthly_interest(balance: Decimal, apr_percent: Decimal) -> Decimal:
    """Return one nominal month's interest, balance x APR/12, rounded to cents (HALF_UP).

    Divides last, so an exact half cent (390.00 x 20.20 % / 12 = 6.565) rounds up as it
    should instead of landing a hair below it through a pre-rounded monthly rate.
    """
    with math_context():
        return to_cents(balance * apr_percent / (100 * _MONTHS_PER_YEAR))


def installment_amount(principal: Decimal, apr_percent: Decimal, term_months: int) -> Decimal:
    """Return the level monthly payment P*r / (1 - (1+r)^-n), rounded once to cents (HALF_UP)."""
    _check_terms(principal, apr_percent, term_months)
    r = monthly_rate(apr_percent)
    with math_context():
        exact = principal / term_months if r == 0 else principal * r / (1 - (1 + r) ** -term_months)
    return to_cents(exact)


def amortization_schedule(
    principal: Decimal,
    apr_percent: Decimal,
    term_months: int,
    first_due_date: dt.date,
    due_day: int,
) -> list[ScheduledInstallment]:
    """Return the nominal monthly schedule; the last installment absorbs every rounding remainder.

    Each month's interest is balance x APR/12 rounded to cents, so principal parts sum to the
    principal exactly and the final balance is 0.00.
    """
    payment = installment_amount(principal, apr_percent, term_months)
    balance = principal
    rows = []
    for number, due in enumerate(due_dates(first_due_date, due_day, term_months), start=1):
        interest = monthly_interest(balance, apr_percent)
        if number == term_months:
            principal_part = balance
        else:
            principal_part = min(payment - interest, balance)
            if principal_part < 0:
                raise ValueError("the installment does not cover a month's interest")
        balance -= principal_part
        rows.append(
            ScheduledInstallment(
                number=number,
                due_date=due,
                payment=interest + principal_part,
                interest=interest,
                principal=principal_part,
                balance_after=balance,
            )
        )
    return rows


def last_payment_bound(apr_percent: Decimal, term_months: int) -> Decimal:
    """Return how far the last payment can provably drift from the installment, in dollars.

    Rounding the installment and each month's interest to cents errs by <= 0.005 each per month;
    the balance carries those errors forward at (1+r), so the last payment differs from the
    installment by at most 0.01 x s(n), s(n) = ((1+r)^n - 1)/r (= n when r = 0).
    """
    r = monthly_rate(apr_percent)
    with math_context():
        growth = term_months if r == 0 else ((1 + r) ** term_months - 1) / r
        return Decimal("0.01") * growth
