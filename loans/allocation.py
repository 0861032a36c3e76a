"""Applying a payment to a loan: unpaid fees, then accrued interest, then principal.

These are the functions that post (and un-post) payments; the simulator uses them too, so a
what-if answer is computed exactly the way real money is applied.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ismartpay.core.money import is_cents, to_cents
from loans.interest import RateCap, accrued_interest


class AllocationError(ValueError):
    """A payment amount or allocation that cannot be applied to the loan as it stands."""


def _normalise_cents(instance: object) -> None:
    """Check every field is a non-negative whole-cent Decimal and store it with 2 decimals
    (one `to_cents` per field: the rounded value is both the check and what is stored)."""
    for name in instance.__dataclass_fields__:  # type: ignore[attr-defined]
        value = getattr(instance, name)
        if not isinstance(value, Decimal):
            raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
        cents = to_cents(value) if value.is_finite() and value >= 0 else None
        if cents != value:
            raise ValueError(f"{name} must be a non-negative amount in cents, not {value}")
        object.__setattr__(instance, name, cents)  # same value, 2 decimals


@dataclass(frozen=True)
class Balances:
    """What the borrower owes: principal, accrued unpaid interest (posted, cents), unpaid fees."""

    principal: Decimal
    interest: Decimal
    fees: Decimal

    def __post_init__(self) -> None:
        _normalise_cents(self)


@dataclass(frozen=True)
class Allocation:
    """How one payment splits across fees, interest and principal; parts sum to `total`."""

    fees: Decimal
    interest: Decimal
    principal: Decimal

    def __post_init__(self) -> None:
        _normalise_cents(self)

    @property
    def total(self) -> Decimal:
        """Return the payment amount this allocation accounts for."""
        return self.fees + self.interest + self.principal


def payoff_amount(balances: Balances) -> Decimal:
    """Return what settles the loan now: principal + accrued interest + unpaid fees."""
    return balances.principal + balances.interest + balances.fees


def accrue_interest(
    balances: Balances,
    apr_percent: Decimal,
    start: dt.date,
    end: dt.date,
    *,
    apr_caps: tuple[RateCap, ...] = (),
) -> Balances:
    """Add the interest accrued on the principal from `start` to `end`, rounded once to cents.

    Call it with the last accrual date and the payment's effective date before `allocate`.
    Days inside `apr_caps` (e.g. SCRA) accrue at the capped rate.
    """
    posted = to_cents(
        accrued_interest(balances.principal, apr_percent, start, end, apr_caps=apr_caps)
    )
    return Balances(balances.principal, balances.interest + posted, balances.fees)


def _check_amount(amount: Decimal) -> None:
    """Refuse payment amounts that are not positive whole cents."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise AllocationError("The amount must be a number.")
    if amount <= 0:
        raise AllocationError("The amount must be at least $0.01.")
    if not is_cents(amount):
        raise AllocationError("The amount can have at most 2 decimal places.")


def allocate(balances: Balances, amount: Decimal, *, principal_only: bool = False) -> Allocation:
    """Split a payment fees -> interest -> principal (or all to principal), refusing overpayment."""
    _check_amount(amount)
    if principal_only:
        if amount > balances.principal:
            raise AllocationError("A principal-only payment cannot exceed the principal balance.")
        return Allocation(fees=Decimal(0), interest=Decimal(0), principal=amount)
    if amount > payoff_amount(balances):
        raise AllocationError("The amount cannot exceed the payoff amount.")
    to_fees = min(amount, balances.fees)
    to_interest = min(amount - to_fees, balances.interest)
    return Allocation(fees=to_fees, interest=to_interest, principal=amount - to_fees - to_interest)


def apply(balances: Balances, allocation: Allocation) -> Balances:
    """Return the balances after posting `allocation`; refuses one that would go below zero."""
    if (
        allocation.fees > balances.fees
        or allocation.interest > balances.interest
        or allocation.principal > balances.principal
    ):
        raise AllocationError("The allocation exceeds what is owed.")
    return Balances(
        principal=balances.principal - allocation.principal,
        interest=balances.interest - allocation.interest,
        fees=balances.fees - allocation.fees,
    )
