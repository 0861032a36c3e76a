"""When a payment counts and until when it can be changed: the lender's cut-off time and
business days (pure functions). The one home for cut-off rules, one-time and autopay."""

import datetime as dt
from zoneinfo import ZoneInfo

from loans.calendar import (
    add_business_days,
    is_business_day,
    next_business_day,
    previous_business_day,
)

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


def counts_after_due(due: dt.date | None, today: dt.date, counts_on: dt.date) -> dt.date | None:
    """`due` when a payment counting on `counts_on` misses that due date while it is still today
    or ahead (paid after the cut-off on a due date, or on a weekend before it), else None: no
    due date, one already past (the pages say "past due"), or a payment in time."""
    return due if due is not None and today <= due < counts_on else None


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


def _cutoff_on(day: dt.date, lender) -> dt.datetime:
    """The lender's cut-off on `day`, in the lender's own zone."""
    return dt.datetime.combine(day, lender.cutoff_time, tzinfo=ZoneInfo(lender.timezone))


def cutoff_words(day: dt.date, lender) -> str:
    """The lender's cut-off on `day` as a borrower reads it: "5:00 PM PST", in the lender's own
    zone and its abbreviation that day (the pages said "ET" for every lender: the new-user
    review helper-81; the reminders, helper-78)."""
    return time_words(_cutoff_on(day, lender))


def time_words(at: dt.datetime) -> str:
    """A moment as a borrower reads it, in its own zone: "5:00 PM PST"."""
    return f"{at:%-I:%M %p} {at.tzname()}"


def change_deadline(run_date: dt.date, lender) -> dt.datetime:
    """The last moment an autopay debit on `run_date` can be changed: the lender's cut-off on
    the business day before it (after that the nightly run may already have it)."""
    return _cutoff_on(previous_business_day(run_date - dt.timedelta(days=1)), lender)


def pay_by_deadline(due: dt.date, lender) -> dt.datetime:
    """The last moment a payment made now counts on or before `due` (effective_date_for's
    rule the other way round): the lender's cut-off on the last business day up to `due`."""
    return _cutoff_on(previous_business_day(due), lender)


def earliest_run_date(now: dt.datetime, lender) -> dt.date:
    """The first business day whose change deadline has not passed at `now`: the business day
    after the day a payment made now would count (effective_date_for, the same cut-off rule)."""
    counts_on = effective_date_for(now=now, lender_tz=lender.timezone, cutoff=lender.cutoff_time)
    return add_business_days(counts_on, 1)
