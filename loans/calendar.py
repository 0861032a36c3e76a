"""Business days (Mon-Fri minus US Federal Reserve holidays) and monthly due dates.

Plain `datetime.date` values only; "today" is always an argument, never read from a clock.
"""

import calendar as _stdlib_calendar
import datetime as dt
from functools import lru_cache

from dateutil.relativedelta import relativedelta

# The class itself, not `holidays.FederalReserve`: that name is a lazy loader whose first use
# imports the library's whole country and market registry (≈ 0.1 s here) inside whatever
# request or nightly run first asks for a business day; this import pays it once, when the
# process starts.
from holidays.financial.federal_reserve import FederalReserve

_SATURDAY = 5


def _require_date(day: object, what: str = "day") -> dt.date:
    """Refuse datetimes: a datetime never equals a date, so holiday look-ups would silently miss."""
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError(f"{what} must be a datetime.date, not {type(day).__name__}")
    return day


@lru_cache(maxsize=512)
def federal_reserve_holidays(year: int) -> frozenset[dt.date]:
    """Return the Federal Reserve's closed days for one year, cached (immutable, thread-safe).

    The Fed observes a Sunday holiday on Monday but does not close on the Friday before a
    Saturday holiday, unlike the plain US federal calendar.
    """
    return frozenset(FederalReserve(years=year).keys())


def is_business_day(day: dt.date) -> bool:
    """Tell whether ACH moves on `day`: a weekday on which the Federal Reserve is open."""
    day = _require_date(day)
    return day.weekday() < _SATURDAY and day not in federal_reserve_holidays(day.year)


def next_business_day(day: dt.date) -> dt.date:
    """Return `day` if it is a business day, else the first business day after it."""
    day = _require_date(day)
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def previous_business_day(day: dt.date) -> dt.date:
    """Return `day` if it is a business day, else the last business day before it."""
    day = _require_date(day)
    while not is_business_day(day):
        day -= dt.timedelta(days=1)
    return day


def add_business_days(day: dt.date, n: int) -> dt.date:
    """Move `n` business days forward (or back if negative); `n == 0` returns `day` unchanged.

    Counting starts after `day`, so Saturday + 1 is Monday and Friday + 1 is Monday.
    """
    day = _require_date(day)
    step = dt.timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if is_business_day(day):
            remaining -= 1
    return day


def _check_due_day(due_day: int) -> None:
    """Refuse due days outside 1-31."""
    if isinstance(due_day, bool) or not isinstance(due_day, int) or not 1 <= due_day <= 31:
        raise ValueError(f"due day must be an integer from 1 to 31, not {due_day!r}")


def due_date(year: int, month: int, due_day: int) -> dt.date:
    """Return the due date in a month; a due day of 29-31 falls on a shorter month's last day."""
    _check_due_day(due_day)
    last_day = _stdlib_calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(due_day, last_day))


@lru_cache(maxsize=4096, typed=True)  # typed: True is not the due day 1
def _check_first_due_date(first_due_date: dt.date, due_day: int) -> None:
    """Refuse a first due date that is not on the due day: the schedule would be ambiguous.
    Memoized: the nightly run checks a few contracts' terms ≈ 15 times a debit."""
    _require_date(first_due_date, "first_due_date")
    if due_date(first_due_date.year, first_due_date.month, due_day) != first_due_date:
        raise ValueError(f"first due date {first_due_date} does not fall on due day {due_day}")


def installment_due_date(first_due_date: dt.date, due_day: int, number: int) -> dt.date:
    """Return installment `number`'s due date (1-based): `number - 1` months after the first."""
    _check_first_due_date(first_due_date, due_day)
    if number < 1:
        raise ValueError("installment numbers start at 1")
    return _months_after(first_due_date, number - 1, due_day)


@lru_cache(maxsize=65536, typed=True)
def _months_after(first_due_date: dt.date, months: int, due_day: int) -> dt.date:
    """The due date `months` months after `first_due_date`. Memoized: relativedelta costs
    ≈ 10 µs a date and the nightly run asks a few contracts' dates for every debit (≈ 15 each).
    relativedelta(day=31) clamps to the month's last day, which is exactly the due-day rule."""
    return first_due_date + relativedelta(months=months, day=due_day)


def due_dates(first_due_date: dt.date, due_day: int, count: int) -> list[dt.date]:
    """Return the first `count` monthly due dates, starting with `first_due_date`."""
    _check_first_due_date(first_due_date, due_day)
    if count < 0:
        raise ValueError("count must not be negative")
    return list(_due_dates(first_due_date, due_day, count))


@lru_cache(maxsize=4096)
def _due_dates(first_due_date: dt.date, due_day: int, count: int) -> tuple[dt.date, ...]:
    """Memoized: a nightly run asks for the same few contracts' dates thousands of times, and
    relativedelta costs ≈ 40 µs a date (a 60-month contract ≈ 2.5 ms)."""
    return tuple(first_due_date + relativedelta(months=i, day=due_day) for i in range(count))


def due_dates_through(first_due_date: dt.date, due_day: int, term_months: int, day: dt.date) -> int:
    """Count the contract's due dates that fall on or before `day` (0 to `term_months`)."""
    _check_first_due_date(first_due_date, due_day)
    _require_date(day)
    if term_months < 1:
        raise ValueError("term must be at least 1 month")
    months = (day.year - first_due_date.year) * 12 + (day.month - first_due_date.month)
    if months < 0:
        return 0
    # The due date in `day`'s own month counts only once `day` has reached it.
    if _months_after(first_due_date, months, due_day) <= day:
        months += 1
    return min(months, term_months)


def next_due_date_on_or_after(
    first_due_date: dt.date, due_day: int, term_months: int, day: dt.date
) -> dt.date | None:
    """Return the first contract due date on or after `day`, or None once the term has ended."""
    _check_first_due_date(first_due_date, due_day)
    _require_date(day)
    already = due_dates_through(first_due_date, due_day, term_months, day - dt.timedelta(days=1))
    if already >= term_months:
        return None
    return installment_due_date(first_due_date, due_day, already + 1)
