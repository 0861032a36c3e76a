"""Business days on the Federal Reserve calendar, and monthly due dates."""

import datetime as dt

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loans.calendar import (
    add_business_days,
    due_date,
    due_dates,
    due_dates_through,
    installment_due_date,
    is_business_day,
    next_business_day,
    next_due_date_on_or_after,
    previous_business_day,
)

D = dt.date
days = st.dates(min_value=D(2000, 1, 1), max_value=D(2060, 12, 31))


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (D(2024, 11, 28), "Thanksgiving"),
        (D(2024, 6, 19), "Juneteenth on a Wednesday"),
        (D(2022, 6, 20), "Juneteenth 2022 fell on Sunday, observed Monday"),
        (D(2022, 12, 26), "Christmas 2022 fell on Sunday, observed Monday"),
        (D(2023, 1, 2), "New Year's Day 2023 fell on Sunday, observed Monday"),
        (D(2024, 7, 4), "Independence Day"),
        (D(2024, 11, 11), "Veterans Day, a Fed holiday"),
        (D(2024, 10, 14), "Columbus Day, a Fed holiday"),
        (D(2025, 1, 20), "Martin Luther King Jr. Day"),
        (D(2024, 11, 30), "a Saturday"),
        (D(2024, 12, 1), "a Sunday"),
    ],
)
def test_holidays_and_weekends_are_not_business_days(day, why):
    assert not is_business_day(day), why


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (D(2026, 7, 3), "July 4, 2026 is a Saturday: the Fed stays open on Friday the 3rd"),
        (D(2020, 7, 3), "July 4, 2020 was a Saturday: the Fed stayed open on Friday"),
        (D(2021, 6, 18), "Juneteenth 2021 was a Saturday: Friday was a business day"),
        (D(2021, 12, 31), "New Year's Day 2022 was a Saturday: Dec 31 was a business day"),
        (D(2024, 11, 29), "the Friday after Thanksgiving"),
        (D(2020, 6, 19), "Juneteenth was not a holiday before 2021"),
        (D(2024, 12, 24), "Christmas Eve"),
        (D(2024, 3, 15), "an ordinary Friday"),
    ],
)
def test_fed_open_weekdays_are_business_days(day, why):
    assert is_business_day(day), why


def test_plain_us_calendar_differs_from_the_fed_on_friday_before_a_saturday_holiday():
    # Why the Fed calendar: the US federal one closes on Friday July 3, 2026; ACH still moves.
    assert D(2026, 7, 3) in holidays.US(years=2026)
    assert is_business_day(D(2026, 7, 3))


def test_2024_has_251_business_days():
    # 366 days - 104 weekend days - 11 Fed holidays, all on weekdays in 2024.
    year = [D(2024, 1, 1) + dt.timedelta(days=i) for i in range(366)]
    assert sum(is_business_day(day) for day in year) == 251


def test_datetimes_are_refused_because_they_never_match_a_holiday_date():
    with pytest.raises(TypeError):
        is_business_day(dt.datetime(2024, 11, 28, 12, 0))  # noqa: DTZ001
    with pytest.raises(TypeError):
        next_business_day("2024-11-28")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2024, 11, 28), D(2024, 11, 29)),  # Thanksgiving -> Friday
        (D(2024, 11, 30), D(2024, 12, 2)),  # Saturday -> Monday
        (D(2022, 6, 18), D(2022, 6, 21)),  # Saturday, Sunday holiday, Monday observed -> Tue
        (D(2024, 3, 15), D(2024, 3, 15)),  # already a business day
    ],
)
def test_next_business_day(day, expected):
    assert next_business_day(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2022, 6, 20), D(2022, 6, 17)),  # observed Juneteenth (Mon) -> Friday
        (D(2024, 12, 1), D(2024, 11, 29)),  # Sunday -> Friday after Thanksgiving
        (D(2026, 7, 4), D(2026, 7, 3)),  # Saturday holiday -> the open Friday before
        (D(2024, 3, 15), D(2024, 3, 15)),
    ],
)
def test_previous_business_day(day, expected):
    assert previous_business_day(day) == expected


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (D(2024, 11, 27), 1, D(2024, 11, 29)),  # skips Thanksgiving
        (D(2024, 11, 27), 2, D(2024, 12, 2)),  # and the weekend
        (D(2024, 12, 20), 5, D(2024, 12, 30)),  # skips a weekend and Christmas
        (D(2024, 12, 2), -2, D(2024, 11, 27)),
        (D(2024, 11, 30), 1, D(2024, 12, 2)),  # Saturday + 1 = Monday
        (D(2024, 11, 30), 0, D(2024, 11, 30)),  # 0 leaves the day alone
        (D(2021, 12, 31), 1, D(2022, 1, 3)),  # across a year with a Saturday holiday
    ],
)
def test_add_business_days(day, n, expected):
    assert add_business_days(day, n) == expected


@settings(max_examples=300, deadline=None)
@given(days)
def test_next_and_previous_business_day_are_the_nearest_business_days(day):
    after, before = next_business_day(day), previous_business_day(day)
    assert is_business_day(after) and is_business_day(before)
    assert before <= day <= after
    between = [day + dt.timedelta(days=i) for i in range(1, (after - day).days)]
    between += [day - dt.timedelta(days=i) for i in range(1, (day - before).days)]
    assert not any(is_business_day(d) for d in between)
    assert (after == day) == is_business_day(day) == (before == day)


@settings(max_examples=300, deadline=None)
@given(days, st.integers(min_value=-30, max_value=30))
def test_add_business_days_counts_exactly_n_business_days(day, n):
    result = add_business_days(day, n)
    if n == 0:
        assert result == day
        return
    assert is_business_day(result)
    low, high = sorted((day, result))
    span = [low + dt.timedelta(days=i) for i in range(1, (high - low).days + 1)]
    if n < 0:  # counting backwards includes the result, excludes the start
        span = [low + dt.timedelta(days=i) for i in range((high - low).days)]
    assert sum(is_business_day(d) for d in span) == abs(n)


@pytest.mark.parametrize(
    ("year", "month", "due_day", "expected"),
    [
        (2024, 2, 31, D(2024, 2, 29)),  # leap February
        (2023, 2, 31, D(2023, 2, 28)),
        (2023, 2, 29, D(2023, 2, 28)),
        (2024, 2, 29, D(2024, 2, 29)),
        (2024, 4, 31, D(2024, 4, 30)),
        (2024, 1, 31, D(2024, 1, 31)),
        (2024, 1, 15, D(2024, 1, 15)),
        (2024, 12, 1, D(2024, 12, 1)),
    ],
)
def test_due_date_falls_on_the_last_day_of_a_shorter_month(year, month, due_day, expected):
    assert due_date(year, month, due_day) == expected


@pytest.mark.parametrize("due_day", [0, 32, -1, True])
def test_due_day_must_be_1_to_31(due_day):
    with pytest.raises(ValueError):
        due_date(2024, 1, due_day)


def test_due_dates_return_to_the_31st_after_a_short_month():
    assert due_dates(D(2024, 1, 31), 31, 5) == [
        D(2024, 1, 31),
        D(2024, 2, 29),
        D(2024, 3, 31),
        D(2024, 4, 30),
        D(2024, 5, 31),
    ]


def test_due_dates_on_the_30th_cross_a_year_and_a_february():
    assert due_dates(D(2023, 11, 30), 30, 4) == [
        D(2023, 11, 30),
        D(2023, 12, 30),
        D(2024, 1, 30),
        D(2024, 2, 29),
    ]


def test_due_dates_of_zero_count_is_empty():
    assert due_dates(D(2024, 1, 15), 15, 0) == []


def test_first_due_date_must_fall_on_the_due_day():
    with pytest.raises(ValueError, match="does not fall on due day"):
        due_dates(D(2024, 3, 14), 15, 3)
    # Feb 29 is the due date for a due day of 29, 30 or 31 in a leap February.
    assert due_dates(D(2024, 2, 29), 30, 2) == [D(2024, 2, 29), D(2024, 3, 30)]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2023, 12, 1), D(2024, 1, 15)),  # before the first due date
        (D(2024, 1, 15), D(2024, 1, 15)),  # on a due date: that one
        (D(2024, 1, 16), D(2024, 2, 15)),
        (D(2024, 3, 15), D(2024, 3, 15)),  # the last one
        (D(2024, 3, 16), None),  # after the term
        (D(2030, 1, 1), None),
    ],
)
def test_next_due_date_on_or_after(day, expected):
    assert next_due_date_on_or_after(D(2024, 1, 15), 15, 3, day) == expected


due_days = st.integers(min_value=1, max_value=31)
months = st.builds(lambda y, m: (y, m), st.integers(2000, 2050), st.integers(1, 12))


@settings(max_examples=200, deadline=None)
@given(months, due_days, st.integers(min_value=1, max_value=96), days)
def test_due_date_helpers_agree_with_the_full_list(year_month, due_day, term, day):
    first = due_date(*year_month, due_day)
    schedule = due_dates(first, due_day, term)
    assert schedule == sorted(set(schedule))  # strictly increasing
    assert all(d == due_date(d.year, d.month, due_day) for d in schedule)
    assert [installment_due_date(first, due_day, k) for k in (1, term)] == [
        schedule[0],
        schedule[-1],
    ]
    assert due_dates_through(first, due_day, term, day) == sum(d <= day for d in schedule)
    upcoming = [d for d in schedule if d >= day]
    expected = upcoming[0] if upcoming else None
    assert next_due_date_on_or_after(first, due_day, term, day) == expected


def test_the_first_business_day_question_of_a_process_imports_nothing():
    """The holiday calendar is imported with loans.calendar (process start), not by the first
    request or nightly run that asks: `holidays.FederalReserve` is a lazy loader whose first
    use imports the library's whole country and market registry (≈ 0.1 s)."""
    import subprocess
    import sys

    code = (
        "import sys, datetime as dt\n"
        "from loans.calendar import is_business_day\n"
        "before = set(sys.modules)\n"
        "assert not is_business_day(dt.date(2026, 12, 25))\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
