"""Simple daily interest, actual/365, unrounded until posted."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ismartpay.core.money import to_cents
from loans.interest import accrued_interest, interest_days, per_diem

D = dt.date


def test_per_diem_of_20000_at_7_3_percent_is_exactly_4_dollars():
    assert per_diem(Decimal("20000"), Decimal("7.3")) == Decimal("4")


def test_per_diem_is_unrounded():
    # 25,000 x 6.00 % / 365 = 4.109589041... (rounded only when posted or shown)
    result = per_diem(Decimal("25000.00"), Decimal("6.00"))
    assert result > Decimal("4.1095890410")
    assert result < Decimal("4.1095890411")
    assert to_cents(result) == Decimal("4.11")


def test_per_diem_at_zero_apr_is_zero():
    assert per_diem(Decimal("25000.00"), Decimal("0")) == 0


def test_accrual_over_31_days_is_31_days_of_per_diem():
    assert accrued_interest(
        Decimal("20000"), Decimal("7.3"), D(2024, 1, 15), D(2024, 2, 15)
    ) == Decimal("124")


def test_accrual_over_a_leap_february_counts_29_days():
    assert accrued_interest(
        Decimal("20000"), Decimal("7.3"), D(2024, 2, 1), D(2024, 3, 1)
    ) == Decimal("116")


def test_a_leap_year_accrues_366_days_over_365():
    # Actual/365: a whole leap year costs one day more than the APR.
    year = accrued_interest(Decimal("36500"), Decimal("10"), D(2024, 1, 1), D(2025, 1, 1))
    assert year == Decimal("3660")


def test_accrual_keeps_sub_cent_precision():
    # 25,000 x 6.49 % x 30 / 365 = 133.356164383...
    result = accrued_interest(Decimal("25000.00"), Decimal("6.49"), D(2024, 4, 1), D(2024, 5, 1))
    assert to_cents(result) == Decimal("133.36")
    assert result != to_cents(result)


@pytest.mark.parametrize(
    ("start", "end"), [(D(2024, 3, 1), D(2024, 3, 1)), (D(2024, 3, 2), D(2024, 3, 1))]
)
def test_no_interest_when_end_is_not_after_start(start, end):
    assert accrued_interest(Decimal("25000"), Decimal("6"), start, end) == Decimal("0")
    assert interest_days(start, end) == 0


@pytest.mark.parametrize(
    ("principal", "apr"),
    [(20000.0, Decimal("7.3")), (Decimal("20000"), 7.3), (Decimal("-1"), Decimal("7.3"))],
)
def test_floats_and_negatives_are_refused(principal, apr):
    with pytest.raises((TypeError, ValueError)):
        per_diem(principal, apr)
    with pytest.raises((TypeError, ValueError)):
        accrued_interest(principal, apr, D(2024, 1, 1), D(2024, 2, 1))


def test_datetimes_are_refused():
    with pytest.raises(TypeError):
        interest_days(dt.datetime(2024, 1, 1), D(2024, 2, 1))  # noqa: DTZ001


principals = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("150000.00"), places=2)
aprs = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("36.00"), places=2)
days = st.dates(min_value=D(2000, 1, 1), max_value=D(2060, 12, 31))


@settings(max_examples=300, deadline=None)
@given(principals, aprs, days, st.integers(min_value=0, max_value=400))
def test_accrual_equals_per_diem_times_days(principal, apr, start, length):
    end = start + dt.timedelta(days=length)
    accrued = accrued_interest(principal, apr, start, end)
    # Both are computed at 40 significant digits; they agree far below a cent.
    assert abs(accrued - per_diem(principal, apr) * length) < Decimal("1e-20")


@settings(max_examples=300, deadline=None)
@given(principals, aprs, days, st.integers(0, 200), st.integers(0, 200))
def test_accrual_over_consecutive_spans_adds_up(principal, apr, start, first, second):
    middle = start + dt.timedelta(days=first)
    end = middle + dt.timedelta(days=second)
    whole = accrued_interest(principal, apr, start, end)
    parts = accrued_interest(principal, apr, start, middle) + accrued_interest(
        principal, apr, middle, end
    )
    assert abs(whole - parts) < Decimal("1e-20")
