"""When a payment counts: the lender's cut-off time and business days (pure functions)."""

import datetime as dt
from zoneinfo import ZoneInfo

from loans.calendar import is_business_day, next_business_day

MAX_DAYS_AHEAD = 30  # a one-time payment can be scheduled up to 30 days out


def lender_local(now: dt.datetime, lender_tz: str) -> dt.datetime:
    return now.astimezone(ZoneInfo(lender_tz))


def effective_date_for(*, now: dt.datetime, lender_tz: str, cutoff: dt.time) -> dt.date:
    """A payment made now counts today if today is a business day and it is before the
    lender's cut-off; otherwise on the next business day."""
    local = lender_local(now, lender_tz)
    day = local.date()
    if is_business_day(day) and local.time() < cutoff:
        return day
    return next_business_day(day + dt.timedelta(days=1))


def effective_date_for_scheduled(day: dt.date) -> dt.date:
    """A payment scheduled for a day counts that day, or the next business day."""
    return next_business_day(day)


def time_left_before_cutoff(
    *, now: dt.datetime, lender_tz: str, cutoff: dt.time
) -> dt.timedelta | None:
    """How long until today's cut-off, or None when today's has passed or today is not a
    business day."""
    local = lender_local(now, lender_tz)
    if not is_business_day(local.date()) or local.time() >= cutoff:
        return None
    deadline = dt.datetime.combine(local.date(), cutoff, tzinfo=local.tzinfo)
    return deadline - local
