"""Simple daily interest, actual/365: each calendar day accrues principal x APR / 365.

Results are unrounded Decimals; the caller rounds once (with `to_cents`) when it posts or shows
them. A leap year therefore accrues 366/365 of the annual rate, as actual/365 loans do.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from ismartpay.core.money import math_context

DAYS_IN_YEAR = Decimal(365)
_PERCENT_DAYS = Decimal(100) * DAYS_IN_YEAR  # one division instead of two keeps results exact


def _require_rate_inputs(principal: Decimal, apr_percent: Decimal) -> None:
    """Refuse floats, non-finite and negative inputs."""
    for name, value in (("principal", principal), ("apr_percent", apr_percent)):
        if not isinstance(value, Decimal):
            raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
        if not value.is_finite() or value < 0:
            raise ValueError(f"{name} must be a finite, non-negative Decimal")


def per_diem(principal: Decimal, apr_percent: Decimal) -> Decimal:
    """Return one day's interest on `principal` at `apr_percent` (e.g. 6.49), unrounded."""
    _require_rate_inputs(principal, apr_percent)
    with math_context():
        return principal * apr_percent / _PERCENT_DAYS


def interest_days(start: dt.date, end: dt.date) -> int:
    """Count the days that accrue interest from `start` (exclusive) to `end` (inclusive); >= 0."""
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise TypeError(f"{name} must be a datetime.date, not {type(value).__name__}")
    return max((end - start).days, 0)


@dataclass(frozen=True)
class RateCap:
    """A ceiling on the APR for the days `start`..`end` (both inclusive; `end` None: open).

    E.g. SCRA, 50 U.S.C. § 3937(a)(1): 6 % during military service (loans/flags.py).
    """

    start: dt.date
    end: dt.date | None
    apr_percent: Decimal

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def _rate_days(apr_percent: Decimal, start: dt.date, end: dt.date, caps) -> Decimal:
    """Sum over the accruing days (start, end] of each day's rate: min(APR, caps covering it)."""
    one = dt.timedelta(days=1)
    first, stop = start + one, end + one  # the accruing days are first .. stop - 1
    points = {first, stop}
    for cap in caps:
        for point in (cap.start, None if cap.end is None else cap.end + one):
            if point is not None and first < point < stop:
                points.add(point)
    ordered = sorted(points)
    total = Decimal(0)
    for left, right in pairwise(ordered):
        rate = min([apr_percent, *(cap.apr_percent for cap in caps if cap.covers(left))])
        total += rate * (right - left).days
    return total


def accrued_interest(
    principal: Decimal,
    apr_percent: Decimal,
    start: dt.date,
    end: dt.date,
    *,
    apr_caps: Iterable[RateCap] = (),
) -> Decimal:
    """Return interest on a constant principal from `start` to `end`, unrounded; 0 if none.

    A day inside one of `apr_caps` accrues at min(APR, that cap) instead of the APR.
    """
    _require_rate_inputs(principal, apr_percent)
    days = interest_days(start, end)
    if days == 0:
        return Decimal(0)
    caps = tuple(apr_caps)
    with math_context():
        if not caps:
            return principal * apr_percent * days / _PERCENT_DAYS
        return principal * _rate_days(apr_percent, start, end, caps) / _PERCENT_DAYS
