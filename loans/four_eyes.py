"""Four eyes on staff money actions, and what each action would do to a loan's balances.

Pure functions: values in, values out, no ORM, no clock. The request page shows these
before/after balances; the ledger services (loans/services.py, loans/servicing.py) then make
the real postings with the same allocation rules.
"""

import datetime as dt
from decimal import Decimal

from ismartpay.core.money import ZERO, to_cents

from .allocation import AllocationError, Balances, accrue_interest, allocate, apply, payoff_amount
from .interest import accrued_interest


def needs_second_approval(
    amount: Decimal | None, threshold: Decimal, *, done_alone_today: Decimal = ZERO
) -> bool:
    """Whether a second supervisor must approve. What counts against the lender's threshold
    (dollars) is this action plus every action of the same kind done alone on the same loan
    the same lender business day, by anyone (`done_alone_today`): ten $900 waivers under a
    $1,000 threshold are $9,000, not ten times $900. Above it, a second approval; at or below
    it, one person may act alone. No amount (a rate change): always a second approval."""
    if amount is None:
        return True
    return amount + done_alone_today > threshold


def balances_after_waiver(before: Balances, amount: Decimal) -> Balances:
    """Waiving `amount` of unpaid fees; refuses more than is unpaid."""
    if amount > before.fees:
        raise AllocationError(f"Only ${before.fees} of fees are unpaid.")
    return Balances(before.principal, before.interest, before.fees - amount)


def balances_after_credit(before: Balances, amount: Decimal) -> Balances:
    """A credit reduces fees, then interest, then principal (the payment order); never below
    zero, so at most the payoff."""
    if amount > payoff_amount(before):
        raise AllocationError(f"A credit can be at most the payoff, ${payoff_amount(before)}.")
    return apply(before, allocate(before, amount))


def balances_after_reversal(
    before: Balances,
    *,
    fees: Decimal,
    interest: Decimal,
    principal: Decimal,
    apr_percent: Decimal,
    effective_date: dt.date,
    on: dt.date,
) -> Balances:
    """Un-applying a posting's parts on `on`, plus the interest its principal would have
    accrued since the posting's effective date (as `loan_reverse_posting` adds back)."""
    catch_up = to_cents(accrued_interest(principal, apr_percent, effective_date, on))
    return Balances(
        before.principal + principal, before.interest + interest + catch_up, before.fees + fees
    )


def balances_on(
    posted: Balances, apr_percent: Decimal, accrued_through: dt.date, on: dt.date
) -> Balances:
    return accrue_interest(posted, apr_percent, accrued_through, on)


def snapshot(balances: Balances) -> dict[str, str]:
    """Balances as stored on a request (strings, dollars)."""
    return {
        "principal": str(balances.principal),
        "interest": str(balances.interest),
        "fees": str(balances.fees),
        "payoff": str(payoff_amount(balances)),
    }
