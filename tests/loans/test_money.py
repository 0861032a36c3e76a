"""Money helpers: one cent-rounding point, strict parsing, gateway minor units."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ismartpay.core.money import (
    CENT,
    MAX_AMOUNT,
    from_minor_units,
    is_cents,
    parse_money,
    to_cents,
    to_minor_units,
)

cents = st.decimals(min_value=Decimal("0.00"), max_value=MAX_AMOUNT, places=2)


def test_cent_is_one_hundredth():
    assert Decimal("0.01") == CENT


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.005"), Decimal("0.01")),  # half rounds up, not to even
        (Decimal("0.015"), Decimal("0.02")),
        (Decimal("0.025"), Decimal("0.03")),  # half-even would give 0.02
        (Decimal("0.0049999"), Decimal("0.00")),
        (Decimal("483.3198"), Decimal("483.32")),
        (Decimal("-0.005"), Decimal("-0.01")),  # half away from zero
        (Decimal("7"), Decimal("7.00")),
    ],
)
def test_to_cents_rounds_half_up(value, expected):
    result = to_cents(value)
    assert result == expected
    assert result.as_tuple().exponent == -2


def test_to_cents_keeps_two_decimal_places_in_the_representation():
    assert str(to_cents(Decimal("5"))) == "5.00"


@pytest.mark.parametrize("bad", [0.1, 1.0, True, "1.00", None])
def test_to_cents_refuses_floats_and_other_types(bad):
    with pytest.raises(TypeError):
        to_cents(bad)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_to_cents_refuses_non_finite_values(bad):
    with pytest.raises(ValueError):
        to_cents(bad)


def test_is_cents_compares_value_not_representation():
    assert is_cents(Decimal("1.5"))
    assert is_cents(Decimal("1.230"))
    assert not is_cents(Decimal("1.005"))


@pytest.mark.parametrize(
    ("amount", "minor"),
    [
        (Decimal("483.32"), 48332),
        (Decimal("0.01"), 1),
        (Decimal("0"), 0),
        (Decimal("10"), 1000),
        (Decimal("1.230"), 123),
        (Decimal("9999999999.99"), 999999999999),
    ],
)
def test_to_minor_units_converts_dollars_to_cents(amount, minor):
    assert to_minor_units(amount) == minor
    assert type(to_minor_units(amount)) is int


@pytest.mark.parametrize("amount", [Decimal("1.001"), Decimal("0.005"), Decimal("483.325")])
def test_to_minor_units_refuses_sub_cent_amounts_instead_of_rounding(amount):
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        to_minor_units(amount)


@pytest.mark.parametrize("amount", [483.32, "483.32", Decimal("NaN")])
def test_to_minor_units_refuses_floats_strings_and_nan(amount):
    with pytest.raises((TypeError, ValueError)):
        to_minor_units(amount)


def test_from_minor_units_gives_two_decimal_places():
    assert from_minor_units(48332) == Decimal("483.32")
    assert str(from_minor_units(48332)) == "483.32"
    assert str(from_minor_units(0)) == "0.00"
    assert str(from_minor_units(5)) == "0.05"


@pytest.mark.parametrize("bad", [1.5, "100", True, Decimal("100")])
def test_from_minor_units_refuses_anything_but_int(bad):
    with pytest.raises(TypeError):
        from_minor_units(bad)


@settings(max_examples=300, deadline=None)
@given(cents)
def test_minor_units_round_trip_exactly(amount):
    assert from_minor_units(to_minor_units(amount)) == amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", Decimal("1234.56")),
        ("$483.32", Decimal("483.32")),
        ("483", Decimal("483.00")),
        ("  483.3 ", Decimal("483.30")),
        ("$ 1,000,000", Decimal("1000000.00")),
        (".50", Decimal("0.50")),
        ("0", Decimal("0.00")),
        ("0001.10", Decimal("1.10")),
        ("9,999,999,999.99", Decimal("9999999999.99")),
    ],
)
def test_parse_money_accepts_what_people_type(text, expected):
    result = parse_money(text)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "inf",
        "-Infinity",
        "1e3",
        "1E3",
        "-5",
        "+5",
        "$-5",
        "(5.00)",
        "1.234",
        "0.001",
        "",
        "   ",
        "$",
        ".",
        "5.",
        "1,23",
        "12,34.00",
        "1 000",
        "1_000",
        "0x10",
        "\u0661\u0662\u0663",  # Arabic-Indic digits: Decimal() would accept them
        "12345678901",  # 11 digits before the point: does not fit NUMERIC(12,2)
        "1234567890123",
        "9" * 40,
        "5 dollars",
    ],
)
def test_parse_money_refuses_anything_but_plain_dollars_and_cents(text):
    with pytest.raises(ValueError):
        parse_money(text)


def test_parse_money_explains_too_many_decimals():
    with pytest.raises(ValueError, match="at most 2 decimal places"):
        parse_money("1.234")


def test_parse_money_refuses_non_strings():
    with pytest.raises(TypeError):
        parse_money(12.5)


@settings(max_examples=300, deadline=None)
@given(cents)
def test_parse_money_reads_back_formatted_amounts(amount):
    assert parse_money(f"${amount:,.2f}") == amount
    assert parse_money(f"{amount:.2f}") == amount


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=20))
def test_parse_money_returns_a_cent_amount_or_raises_value_error(text):
    try:
        result = parse_money(text)
    except ValueError:
        return
    assert result.is_finite()
    assert Decimal("0.00") <= result <= MAX_AMOUNT
    assert is_cents(result)
