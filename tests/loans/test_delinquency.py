"""Amount due, past-due amount, days past due and computed status."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loans.calendar import due_date
from loans.delinquency import (
    CURRENT,
    PAID_OFF,
    PAST_DUE,
    ContractSchedule,
    LoanPosition,
    amount_due_now,
    covered_installments,
    days_past_due,
    loan_status,
    next_payment_due_date,
    oldest_unpaid_due_date,
    past_due_amount,
)

D = dt.date
# $100.00 on the 15th, January to December 2024.
YEAR = ContractSchedule(
    first_due_date=D(2024, 1, 15), due_day=15, term_months=12, installment=Decimal("100.00")
)


def position(paid: str, payoff: str = "1100.00", fees: str = "0.00") -> LoanPosition:
    return LoanPosition(Decimal(paid), Decimal(fees), Decimal(payoff))


def snapshot(pos: LoanPosition, on: dt.date) -> tuple:
    return (
        amount_due_now(YEAR, pos, on),
        past_due_amount(YEAR, pos, on),
        oldest_unpaid_due_date(YEAR, pos, on),
        days_past_due(YEAR, pos, on),
        loan_status(YEAR, pos, on),
    )


def test_before_the_first_due_date_the_first_installment_is_due():
    assert YEAR.due_count(D(2024, 1, 1)) == 0
    assert snapshot(position("0"), D(2024, 1, 1)) == (Decimal("100.00"), 0, None, 0, CURRENT)
    assert next_payment_due_date(YEAR, position("0")) == D(2024, 1, 15)


def test_on_the_due_date_only_that_installment_is_due_and_it_is_not_late_yet():
    assert YEAR.due_count(D(2024, 1, 15)) == 1
    assert snapshot(position("0"), D(2024, 1, 15)) == (
        Decimal("100.00"),
        0,
        D(2024, 1, 15),
        0,
        CURRENT,
    )


def test_the_day_after_an_unpaid_due_date_it_is_past_due_plus_the_next_installment():
    assert snapshot(position("0"), D(2024, 1, 16)) == (
        Decimal("200.00"),
        Decimal("100.00"),
        D(2024, 1, 15),
        1,
        PAST_DUE,
    )


def test_two_missed_installments_are_counted_from_the_oldest():
    # Paid January only; on March 20, February and March are late, April is current.
    assert snapshot(position("100.00"), D(2024, 3, 20)) == (
        Decimal("300.00"),
        Decimal("200.00"),
        D(2024, 2, 15),
        34,  # Feb 15 -> Mar 20 in a leap year
        PAST_DUE,
    )


def test_a_partial_payment_leaves_the_installment_unpaid():
    assert snapshot(position("150.00"), D(2024, 2, 20)) == (
        Decimal("150.00"),
        Decimal("50.00"),
        D(2024, 2, 15),
        5,
        PAST_DUE,
    )


def test_paying_ahead_covers_future_installments():
    ahead = position("300.00", payoff="800.00")
    assert snapshot(ahead, D(2024, 2, 1)) == (Decimal("0.00"), 0, None, 0, CURRENT)
    assert next_payment_due_date(YEAR, ahead) == D(2024, 4, 15)
    assert amount_due_now(YEAR, ahead, D(2024, 3, 16)) == Decimal("100.00")  # April's


def test_unpaid_fees_are_added_to_the_amount_due():
    fees = position("200.00", payoff="925.00", fees="25.00")
    assert amount_due_now(YEAR, fees, D(2024, 3, 1)) == Decimal("125.00")
    assert past_due_amount(YEAR, fees, D(2024, 3, 1)) == 0  # fees do not make it past due


def test_amount_due_is_capped_at_the_payoff():
    # Large principal-only payments left only $350 owed, though 7 installments are "due".
    small = position("0", payoff="350.00")
    assert amount_due_now(YEAR, small, D(2024, 6, 20)) == Decimal("350.00")
    assert past_due_amount(YEAR, small, D(2024, 6, 20)) == Decimal("350.00")


def test_the_final_installment_is_whatever_settles_the_loan():
    # After November's due date the current installment is the last: the payoff is due.
    last = position("1100.00", payoff="101.37")
    assert amount_due_now(YEAR, last, D(2024, 11, 20)) == Decimal("101.37")
    assert covered_installments(YEAR, last) == 11


def test_a_remainder_after_maturity_is_past_due_from_the_final_due_date():
    # All 12 installments paid, but late payments cost $3.17 more daily interest.
    left = position("1200.00", payoff="3.17")
    assert snapshot(left, D(2025, 1, 1)) == (
        Decimal("3.17"),
        Decimal("3.17"),
        D(2024, 12, 15),
        17,
        PAST_DUE,
    )


def test_a_loan_with_nothing_owed_is_paid_off():
    done = position("1000.00", payoff="0.00")
    assert snapshot(done, D(2024, 6, 1)) == (Decimal("0.00"), 0, None, 0, PAID_OFF)
    assert next_payment_due_date(YEAR, done) is None


def test_fees_alone_do_not_make_a_loan_past_due():
    fees_only = position("1200.00", payoff="25.00", fees="25.00")
    assert loan_status(YEAR, fees_only, D(2025, 3, 1)) == CURRENT
    assert amount_due_now(YEAR, fees_only, D(2025, 3, 1)) == Decimal("25.00")


def test_due_day_31_schedule_uses_month_ends():
    monthly = ContractSchedule(D(2024, 1, 31), 31, 3, Decimal("50.00"))
    assert monthly.due_count(D(2024, 2, 29)) == 2
    assert days_past_due(monthly, position("50.00"), D(2024, 3, 1)) == 1


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((D(2024, 1, 14), 15, 12, Decimal("100.00")), ValueError),  # not on the due day
        ((D(2024, 1, 15), 15, 0, Decimal("100.00")), ValueError),
        ((D(2024, 1, 15), 15, 12, Decimal("0.00")), ValueError),
        ((D(2024, 1, 15), 15, 12, Decimal("100.001")), ValueError),
        ((D(2024, 1, 15), 15, 12, 100.0), TypeError),
    ],
)
def test_contract_schedule_refuses_inconsistent_terms(args, error):
    with pytest.raises(error):
        ContractSchedule(*args)


@pytest.mark.parametrize(
    ("paid", "fees", "payoff"),
    [("-1.00", "0", "10"), ("0", "20.00", "10.00"), ("0.001", "0", "10")],
)
def test_loan_position_refuses_impossible_values(paid, fees, payoff):
    with pytest.raises(ValueError):
        LoanPosition(Decimal(paid), Decimal(fees), Decimal(payoff))


def money(low: str, high: str) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=2)


@st.composite
def loans(draw):
    due_day = draw(st.integers(1, 31))
    first = due_date(draw(st.integers(2020, 2030)), draw(st.integers(1, 12)), due_day)
    term = draw(st.integers(12, 96))
    schedule = ContractSchedule(first, due_day, term, draw(money("10.00", "5000.00")))
    total = schedule.installment * term
    paid = draw(money("0", str(total * 2)))
    fees = draw(money("0", "200.00"))
    payoff = fees + draw(money("0", str(total * 2)))
    on = first + dt.timedelta(days=draw(st.integers(-60, term * 31 + 120)))
    return schedule, LoanPosition(paid, fees, payoff), on


@settings(max_examples=500, deadline=None)
@given(loans())
def test_amounts_and_status_are_consistent(case):
    schedule, pos, on = case
    due_now = amount_due_now(schedule, pos, on)
    late = past_due_amount(schedule, pos, on)
    days = days_past_due(schedule, pos, on)
    assert Decimal(0) <= late <= due_now <= pos.payoff
    assert due_now >= min(late + pos.unpaid_fees, pos.payoff)
    assert (late > 0) == (days > 0) == (loan_status(schedule, pos, on) == PAST_DUE)
    if pos.payoff == 0:
        assert loan_status(schedule, pos, on) == PAID_OFF
    oldest = oldest_unpaid_due_date(schedule, pos, on)
    assert days == (0 if oldest is None else (on - oldest).days)


@settings(max_examples=500, deadline=None)
@given(loans())
def test_paying_the_amount_due_now_brings_the_loan_current(case):
    schedule, pos, on = case
    due_now = amount_due_now(schedule, pos, on)
    to_installments = due_now - min(due_now, pos.unpaid_fees)  # fees are paid first
    after = LoanPosition(
        pos.paid_toward_installments + to_installments,
        pos.unpaid_fees - min(due_now, pos.unpaid_fees),
        pos.payoff - due_now,
    )
    assert days_past_due(schedule, after, on) == 0
    assert amount_due_now(schedule, after, on) == 0
    assert loan_status(schedule, after, on) in (CURRENT, PAID_OFF)
