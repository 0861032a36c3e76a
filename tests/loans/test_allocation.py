"""Payment allocation fees -> interest -> principal, and its exact reversal (target 14)."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loans.allocation import (
    Allocation,
    AllocationError,
    Balances,
    accrue_interest,
    allocate,
    apply,
    payoff_amount,
)

D = dt.date
LOAN = Balances(principal=Decimal("10000.00"), interest=Decimal("45.50"), fees=Decimal("25.00"))


def test_payoff_is_principal_plus_interest_plus_fees():
    assert payoff_amount(LOAN) == Decimal("10070.50")


@pytest.mark.parametrize(
    ("amount", "fees", "interest", "principal"),
    [
        (Decimal("10.00"), Decimal("10.00"), Decimal("0.00"), Decimal("0.00")),
        (Decimal("50.00"), Decimal("25.00"), Decimal("25.00"), Decimal("0.00")),
        (Decimal("100.00"), Decimal("25.00"), Decimal("45.50"), Decimal("29.50")),
        (Decimal("0.01"), Decimal("0.01"), Decimal("0.00"), Decimal("0.00")),
        (Decimal("10070.50"), Decimal("25.00"), Decimal("45.50"), Decimal("10000.00")),
    ],
)
def test_payment_goes_to_fees_then_interest_then_principal(amount, fees, interest, principal):
    allocation = allocate(LOAN, amount)
    assert allocation == Allocation(fees=fees, interest=interest, principal=principal)
    assert allocation.total == amount


def test_principal_only_payment_skips_fees_and_interest():
    allocation = allocate(LOAN, Decimal("500.00"), principal_only=True)
    assert allocation == Allocation(Decimal("0"), Decimal("0"), Decimal("500.00"))
    assert apply(LOAN, allocation) == Balances(
        Decimal("9500.00"), Decimal("45.50"), Decimal("25.00")
    )


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("0"),
        Decimal("0.00"),
        Decimal("-5.00"),
        Decimal("-0.01"),
        Decimal("1.005"),  # 3 decimals
        Decimal("10.001"),
        Decimal("10070.51"),  # one cent above the payoff
        Decimal("99999.00"),
        Decimal("NaN"),
        Decimal("Infinity"),
    ],
)
def test_allocation_refuses_zero_negative_sub_cent_and_above_payoff(amount):
    with pytest.raises(AllocationError):
        allocate(LOAN, amount)


def test_allocation_error_is_a_value_error_for_forms():
    assert issubclass(AllocationError, ValueError)


def test_principal_only_payment_cannot_exceed_the_principal():
    with pytest.raises(AllocationError, match="principal"):
        allocate(LOAN, Decimal("10000.01"), principal_only=True)
    assert allocate(LOAN, Decimal("10000.00"), principal_only=True).principal == Decimal("10000.00")


@pytest.mark.parametrize("amount", [10.0, 10, "10.00"])
def test_allocation_refuses_non_decimal_amounts(amount):
    with pytest.raises(TypeError):
        allocate(LOAN, amount)


@pytest.mark.parametrize(
    "values",
    [
        (Decimal("-0.01"), Decimal("0"), Decimal("0")),
        (Decimal("1.001"), Decimal("0"), Decimal("0")),
        (Decimal("NaN"), Decimal("0"), Decimal("0")),
    ],
)
def test_balances_must_be_non_negative_cents(values):
    with pytest.raises(ValueError):
        Balances(*values)


def test_balances_refuse_floats():
    with pytest.raises(TypeError):
        Balances(100.0, Decimal("0"), Decimal("0"))


def test_balances_are_frozen_and_shown_with_two_decimals():
    balances = Balances(Decimal("100"), Decimal("0"), Decimal("1.5"))
    assert (str(balances.principal), str(balances.fees)) == ("100.00", "1.50")
    with pytest.raises(AttributeError):
        balances.principal = Decimal("1")  # type: ignore[misc]


def test_applying_a_payment_takes_fees_then_interest_then_principal():
    allocation = allocate(LOAN, Decimal("100.00"))
    after = apply(LOAN, allocation)
    assert after == Balances(Decimal("9970.50"), Decimal("0.00"), Decimal("0.00"))


def test_apply_refuses_an_allocation_larger_than_a_balance():
    too_much_interest = Allocation(Decimal("0"), Decimal("45.51"), Decimal("0"))
    with pytest.raises(AllocationError):
        apply(LOAN, too_much_interest)


def test_interest_is_accrued_to_the_effective_date_and_rounded_once():
    start = Balances(Decimal("20000.00"), Decimal("0.00"), Decimal("0.00"))
    assert accrue_interest(start, Decimal("7.3"), D(2024, 1, 15), D(2024, 2, 15)).interest == (
        Decimal("124.00")
    )
    other = Balances(Decimal("25000.00"), Decimal("1.00"), Decimal("0.00"))
    # 25,000 x 6.49 % x 30 / 365 = 133.356.. -> 133.36, added to what was already accrued.
    assert accrue_interest(other, Decimal("6.49"), D(2024, 4, 1), D(2024, 5, 1)).interest == (
        Decimal("134.36")
    )


def cents(up_to: str) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal("0.00"), max_value=Decimal(up_to), places=2)


balances = st.builds(
    Balances, principal=cents("150000"), interest=cents("5000"), fees=cents("500")
).filter(lambda b: payoff_amount(b) > 0)


@st.composite
def loan_and_payment(draw):
    loan = draw(balances)
    amount = draw(st.decimals(min_value=Decimal("0.01"), max_value=payoff_amount(loan), places=2))
    return loan, amount


@settings(max_examples=1000, deadline=None)
@given(loan_and_payment())
def test_allocation_is_exact_ordered_and_never_overdraws(case):
    loan, amount = case
    allocation = allocate(loan, amount)
    assert allocation.total == amount
    assert allocation.fees == min(amount, loan.fees)
    if allocation.interest > 0:
        assert allocation.fees == loan.fees  # fees first
    if allocation.principal > 0:
        assert allocation.interest == loan.interest  # then interest
    after = apply(loan, allocation)
    assert min(after.principal, after.interest, after.fees) >= 0
    assert payoff_amount(after) == payoff_amount(loan) - amount


@settings(max_examples=300, deadline=None)
@given(balances)
def test_paying_the_payoff_leaves_nothing_owed(loan):
    after = apply(loan, allocate(loan, payoff_amount(loan)))
    assert after == Balances(Decimal("0"), Decimal("0"), Decimal("0"))


@settings(max_examples=300, deadline=None)
@given(balances, st.integers(min_value=1, max_value=10**6))
def test_any_amount_above_the_payoff_is_refused(loan, extra_cents):
    with pytest.raises(AllocationError):
        allocate(loan, payoff_amount(loan) + Decimal(extra_cents) / 100)


@settings(max_examples=300, deadline=None)
@given(balances.filter(lambda b: b.principal > 0), st.data())
def test_principal_only_payments_touch_only_principal(loan, data):
    amount = data.draw(st.decimals(min_value=Decimal("0.01"), max_value=loan.principal, places=2))
    after = apply(loan, allocate(loan, amount, principal_only=True))
    assert (after.interest, after.fees) == (loan.interest, loan.fees)
    assert after.principal == loan.principal - amount
