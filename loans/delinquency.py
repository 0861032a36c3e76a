"""What is due, what is late and the loan's computed status, from the contract and payments.

Installments are covered in order by the running total paid toward them: installment k
(1-based) is covered once `paid_toward_installments >= k x installment`, except the final one,
which absorbs every remainder and is covered only when nothing but fees is left
(principal + interest == 0). Staff-set states (charged_off, closed) are not computed here.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ismartpay.core.money import is_cents, to_cents
from loans.calendar import due_dates, due_dates_through, installment_due_date

CURRENT = "current"
PAST_DUE = "past_due"
PAID_OFF = "paid_off"


def _check_money(name: str, value: object, *, positive: bool = False) -> None:
    """Refuse non-Decimal, negative (or zero, if `positive`) and sub-cent amounts."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite() or value < 0 or (positive and value == 0) or not is_cents(value):
        kind = "positive" if positive else "non-negative"
        raise ValueError(f"{name} must be a {kind} amount in cents")


@dataclass(frozen=True)
class ContractSchedule:
    """The contract's repayment terms: monthly `installment` on `due_day`, `term_months` times."""

    first_due_date: dt.date
    due_day: int
    term_months: int
    installment: Decimal

    def __post_init__(self) -> None:
        _check_money("installment", self.installment, positive=True)
        if isinstance(self.term_months, bool) or not isinstance(self.term_months, int):
            raise TypeError("term_months must be an int")
        # Validates the due day, the first due date and the term in one place.
        due_dates_through(self.first_due_date, self.due_day, self.term_months, self.first_due_date)

    def due_date(self, number: int) -> dt.date:
        """Return the due date of installment `number` (1 to term_months)."""
        if not 1 <= number <= self.term_months:
            raise ValueError(f"installment {number} is outside the {self.term_months}-month term")
        return installment_due_date(self.first_due_date, self.due_day, number)

    def due_dates(self) -> list[dt.date]:
        """Every due date of the contract, in order (loans.calendar.due_dates: the one rule)."""
        return due_dates(self.first_due_date, self.due_day, self.term_months)

    def due_count(self, on: dt.date) -> int:
        """Count installments whose due date is on or before `on`."""
        return due_dates_through(self.first_due_date, self.due_day, self.term_months, on)


@dataclass(frozen=True)
class LoanPosition:
    """Where the borrower stands on a date (all in dollars, 2 decimals).

    paid_toward_installments: total of posted regular payments that went to interest and
        principal (not to fees, not principal-only extras), net of returns and reversals.
    unpaid_fees: late/NSF fees assessed and not yet paid.
    payoff: principal + interest accrued to the date + unpaid fees.
    """

    paid_toward_installments: Decimal
    unpaid_fees: Decimal
    payoff: Decimal

    def __post_init__(self) -> None:
        for name in ("paid_toward_installments", "unpaid_fees", "payoff"):
            _check_money(name, getattr(self, name))
        if self.unpaid_fees > self.payoff:
            raise ValueError("payoff must include the unpaid fees")

    @property
    def installment_balance(self) -> Decimal:
        """Return what remains owed apart from fees: principal plus accrued interest."""
        return self.payoff - self.unpaid_fees


def covered_installments(schedule: ContractSchedule, position: LoanPosition) -> int:
    """Count installments fully paid, in due-date order (all of them once only fees remain)."""
    if position.installment_balance == 0:
        return schedule.term_months
    fully_paid = int(position.paid_toward_installments // schedule.installment)
    return min(fully_paid, schedule.term_months - 1)  # the final one absorbs the remainder


def late_fee_due_count(schedule: ContractSchedule, grace_days: int, on: dt.date) -> int:
    """Count installments whose grace period (due date + `grace_days` days) ended before `on`.

    These are the installments a late fee may be assessed for on business date `on`: due the
    5th with 10 grace days, the 15th is still grace and the 16th is the first late-fee day.
    """
    if grace_days < 0:
        raise ValueError("grace_days cannot be negative")
    return schedule.due_count(on - dt.timedelta(days=grace_days + 1))


def next_payment_due_date(schedule: ContractSchedule, position: LoanPosition) -> dt.date | None:
    """Return the due date of the first installment not yet covered, or None when all are."""
    covered = covered_installments(schedule, position)
    return None if covered >= schedule.term_months else schedule.due_date(covered + 1)


def oldest_unpaid_due_date(
    schedule: ContractSchedule, position: LoanPosition, on: dt.date
) -> dt.date | None:
    """Return the due date of the oldest uncovered installment due by `on`, or None."""
    oldest = next_payment_due_date(schedule, position)
    return oldest if oldest is not None and oldest <= on else None


def days_past_due(schedule: ContractSchedule, position: LoanPosition, on: dt.date) -> int:
    """Return days since the oldest unpaid due date; 0 on the due date itself or when none."""
    oldest = oldest_unpaid_due_date(schedule, position, on)
    return 0 if oldest is None else (on - oldest).days


def past_due_amount(schedule: ContractSchedule, position: LoanPosition, on: dt.date) -> Decimal:
    """Return the unpaid part of installments due before `on` (fees excluded).

    An installment becomes past due the day after its due date; after the final due date
    everything still owed (principal + interest) is past due.
    """
    due_before = schedule.due_count(on - dt.timedelta(days=1))
    balance = position.installment_balance
    if due_before >= schedule.term_months:
        return balance
    owed = due_before * schedule.installment - position.paid_toward_installments
    return to_cents(min(max(owed, Decimal(0)), balance))


def amount_due_now(schedule: ContractSchedule, position: LoanPosition, on: dt.date) -> Decimal:
    """Return past-due installments + the current one + unpaid fees, less what was paid.

    The current installment is the first one due on or after `on` (so on a due date, that
    day's installment, not next month's). When the current one is the final installment, or
    the term is over, the whole payoff is due. Never negative, never above the payoff.
    """
    current = schedule.due_count(on - dt.timedelta(days=1)) + 1
    if current >= schedule.term_months:
        return position.payoff
    owed = current * schedule.installment - position.paid_toward_installments
    installments = min(max(owed, Decimal(0)), position.installment_balance)
    return to_cents(installments + position.unpaid_fees)


def loan_status(schedule: ContractSchedule, position: LoanPosition, on: dt.date) -> str:
    """Return the computed status: "paid_off", "past_due" (an installment late) or "current"."""
    if position.payoff == 0:
        return PAID_OFF
    return PAST_DUE if days_past_due(schedule, position, on) > 0 else CURRENT


# Collections buckets by days past due (loans/collections.py stores one per loan and night).
BUCKET_CURRENT = "current"
BUCKETS = ((1, 29, "1-29"), (30, 59, "30-59"), (60, 89, "60-89"), (90, None, "90+"))
BUCKET_NAMES = (BUCKET_CURRENT, *(name for _, _, name in BUCKETS))


def dpd_bucket(days: int) -> str:
    """The collections bucket for `days` past due: "current" (0), "1-29" … "90+"."""
    if days < 0:
        raise ValueError("days past due cannot be negative")
    for low, high, name in BUCKETS:
        if days >= low and (high is None or days <= high):
            return name
    return BUCKET_CURRENT
