"""One home for cut-off rules (payments.timing): a payment made now and autopay's change window
turn on the same cut-off, so the two can never disagree about whether "now" is before it."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from loans.calendar import add_business_days, is_business_day
from payments import timing
from payments.autopay import services as autopay_services

LENDER = SimpleNamespace(timezone="America/Chicago", cutoff_time=dt.time(17, 0))


def test_autopays_cutoff_names_are_the_timing_modules():
    assert autopay_services.change_deadline is timing.change_deadline
    assert autopay_services.earliest_run_date is timing.earliest_run_date


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31)))  # noqa: DTZ001 - made UTC below
def test_the_earliest_autopay_run_is_the_business_day_after_a_payment_made_now_counts(naive):
    now = naive.replace(tzinfo=dt.UTC)
    local = now.astimezone(ZoneInfo(LENDER.timezone))
    before_cutoff = is_business_day(local.date()) and local.time() < LENDER.cutoff_time
    expected = add_business_days(local.date(), 1 if before_cutoff else 2)
    earliest = timing.earliest_run_date(now, LENDER)
    assert earliest == expected
    counts_on = timing.effective_date_for(now=now, lender_tz=LENDER.timezone, cutoff=dt.time(17))
    assert earliest == add_business_days(counts_on, 1)
    assert timing.change_deadline(earliest, LENDER) > now  # its window is still open


def test_a_debit_on_monday_can_be_changed_until_fridays_cutoff():
    deadline = timing.change_deadline(dt.date(2026, 12, 7), LENDER)
    assert deadline == dt.datetime(2026, 12, 4, 17, 0, tzinfo=ZoneInfo("America/Chicago"))
