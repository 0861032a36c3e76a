"""Installment formula and the nominal amortization schedule (reliability target 13)."""

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loans.calendar import due_date
from loans.schedule import (
    amortization_schedule,
    installment_amount,
    last_payment_bound,
    monthly_interest,
)

D = dt.date


def _exact_half_up_cents(value: Fraction) -> Decimal:
    """Independent oracle: round a non-negative exact rational to cents, half up."""
    return Decimal(math.floor(value * 100 + Fraction(1, 2))).scaleb(-2)


def test_installment_of_25000_at_6_percent_for_60_months_is_483_32():
    assert installment_amount(Decimal("25000"), Decimal("6.00"), 60) == Decimal("483.32")


@pytest.mark.parametrize(
    ("principal", "apr", "term", "expected"),
    [
        (Decimal("12000.00"), Decimal("0"), 48, Decimal("250.00")),
        (Decimal("1000.00"), Decimal("0"), 96, Decimal("10.42")),  # 10.41666.. rounds up
        (Decimal("30000.00"), Decimal("4.90"), 72, Decimal("481.76")),
        (Decimal("150000.00"), Decimal("36.00"), 96, Decimal("4779.93")),
    ],
)
def test_installment_known_values(principal, apr, term, expected):
    assert installment_amount(principal, apr, term) == expected


@pytest.mark.parametrize(
    ("principal", "apr", "term"),
    [
        (Decimal("0"), Decimal("6"), 60),
        (Decimal("-1"), Decimal("6"), 60),
        (Decimal("100.001"), Decimal("6"), 60),
        (Decimal("1000"), Decimal("-1"), 60),
        (Decimal("1000"), Decimal("6"), 0),
    ],
)
def test_installment_refuses_impossible_terms(principal, apr, term):
    with pytest.raises(ValueError):
        installment_amount(principal, apr, term)


def test_installment_refuses_floats():
    with pytest.raises(TypeError):
        installment_amount(25000.0, Decimal("6"), 60)


def test_schedule_of_25000_at_6_percent_for_60_months():
    rows = amortization_schedule(Decimal("25000.00"), Decimal("6.00"), 60, D(2024, 1, 31), 31)
    assert len(rows) == 60
    first, second, last = rows[0], rows[1], rows[-1]
    assert (first.number, first.due_date) == (1, D(2024, 1, 31))
    assert (first.payment, first.interest, first.principal, first.balance_after) == (
        Decimal("483.32"),
        Decimal("125.00"),
        Decimal("358.32"),
        Decimal("24641.68"),
    )
    assert second.due_date == D(2024, 2, 29)  # due day 31 in a leap February
    assert second.interest == Decimal("123.21")  # 24,641.68 x 0.005 = 123.2084
    assert (last.number, last.due_date) == (60, D(2028, 12, 31))
    assert (last.payment, last.interest, last.principal, last.balance_after) == (
        Decimal("483.35"),
        Decimal("2.40"),
        Decimal("480.95"),
        Decimal("0.00"),
    )


@pytest.mark.parametrize(
    ("balance", "apr", "expected"),
    [
        (Decimal("390.00"), Decimal("20.20"), Decimal("6.57")),  # exactly 6.565: rounds up
        (Decimal("24641.68"), Decimal("6.00"), Decimal("123.21")),
        (Decimal("100.00"), Decimal("1.00"), Decimal("0.08")),  # 0.0833..
        (Decimal("0.00"), Decimal("36.00"), Decimal("0.00")),
    ],
)
def test_monthly_interest_rounds_exact_half_cents_up(balance, apr, expected):
    assert monthly_interest(balance, apr) == expected


def test_zero_apr_schedule_is_principal_only_and_last_takes_the_remainder():
    rows = amortization_schedule(Decimal("1000.00"), Decimal("0"), 96, D(2024, 1, 15), 15)
    assert all(row.interest == 0 for row in rows)
    assert {row.payment for row in rows[:-1]} == {Decimal("10.42")}
    assert rows[-1].payment == Decimal("10.10")  # 1,000 - 95 x 10.42


def _last_payment_with(installment, principal, apr, term):
    """Replay the nominal method with a chosen installment (for the target-13 finding)."""
    balance = principal
    for _ in range(term - 1):
        balance -= installment - monthly_interest(balance, apr)
    return balance + monthly_interest(balance, apr)


def test_target_13_one_dollar_last_payment_is_unreachable_at_high_apr_and_long_terms():
    # Finding: cent rounding of the installment (<= half a cent) and of each month's interest
    # compounds at (1+r) through the term, so the last payment can drift by up to
    # 0.01 x ((1+r)^n - 1)/r dollars. At 32.72 % over 95 months one cent more or less on the
    # installment moves the last payment by ~$4.36, so NO whole-cent installment keeps the
    # last payment within the $1.00 of target 13: it holds for common loans, not all inputs.
    principal, apr, term = Decimal("137725.69"), Decimal("32.72"), 95
    rows = amortization_schedule(principal, apr, term, D(2024, 1, 15), 15)
    installment = installment_amount(principal, apr, term)
    assert installment == Decimal("4071.43")
    assert rows[-1].payment == Decimal("4073.76")  # $2.33 above the others
    for other in (installment - Decimal("0.01"), installment + Decimal("0.01")):
        assert abs(_last_payment_with(other, principal, apr, term) - other) > 1
    assert abs(rows[-1].payment - installment) <= last_payment_bound(apr, term)


def test_last_payment_bound_is_under_a_dollar_for_common_auto_loans():
    assert last_payment_bound(Decimal("6.00"), 60) < Decimal("0.70")
    assert last_payment_bound(Decimal("9.99"), 72) < Decimal("1.00")
    assert last_payment_bound(Decimal("0"), 96) == Decimal("0.96")


principals = st.decimals(min_value=Decimal("1000.00"), max_value=Decimal("150000.00"), places=2)
aprs = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("36.00"), places=2)
terms = st.integers(min_value=12, max_value=96)
first_due = st.builds(
    lambda y, m, d: (due_date(y, m, d), d),
    st.integers(2020, 2035),
    st.integers(1, 12),
    st.integers(1, 31),
)


@settings(max_examples=1000, deadline=None)
@given(principals, aprs, terms, first_due)
def test_amortization_schedule_retires_the_principal_exactly(principal, apr, term, first):
    first_due_date, due_day = first
    rows = amortization_schedule(principal, apr, term, first_due_date, due_day)
    installment = installment_amount(principal, apr, term)

    assert [row.number for row in rows] == list(range(1, term + 1))
    assert rows[0].due_date == first_due_date
    assert sum(row.principal for row in rows) == principal
    assert rows[-1].balance_after == Decimal("0.00")
    balance = principal
    for row in rows:
        assert row.payment >= 0 and row.interest >= 0 and row.principal >= 0
        assert row.balance_after >= 0
        assert row.payment == row.interest + row.principal
        assert row.interest == _exact_half_up_cents(Fraction(balance) * Fraction(apr) / 1200)
        balance -= row.principal
        assert row.balance_after == balance
        assert row.due_date == due_date(row.due_date.year, row.due_date.month, due_day)
    assert all(row.payment == installment for row in rows[:-1])
    # Target 13 asks for $1.00; the provable bound (see the test above) is what holds for
    # every input, and it is under $1.00 wherever a whole-cent installment can achieve it.
    assert abs(rows[-1].payment - installment) <= max(
        Decimal("1.00"), last_payment_bound(apr, term)
    )


@settings(max_examples=1000, deadline=None)
@given(
    principals, st.decimals(min_value=Decimal("0.01"), max_value=Decimal("36.00"), places=2), terms
)
def test_installment_matches_numpy_financial_pmt_to_half_a_cent(principal, apr, term):
    # numpy_financial works in float: the cross-check only, never the money path.
    reference = float(-npf.pmt(float(apr) / 1200, term, float(principal)))
    difference = abs(installment_amount(principal, apr, term) - Decimal(repr(reference)))
    assert difference <= Decimal("0.005") + Decimal("1e-6")  # half a cent + float noise
