"""Money values: Decimal only, rounded to cents in exactly one place (`to_cents`).

Amounts are stored as NUMERIC(12,2): at most 10 digits before the point and 2 after.
"""

import re
from contextlib import AbstractContextManager
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_INTEGER_DIGITS = 10  # NUMERIC(12,2) leaves 10 digits before the decimal point
MAX_AMOUNT = Decimal("9999999999.99")

# Working precision for intermediate maths (interest, annuity factors). Its rounding only
# touches the 40th significant digit; cents are rounded by `to_cents` alone.
MATH_CONTEXT = Context(
    prec=40, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)

_MAX_INPUT_LENGTH = 32  # "$9,999,999,999.99" is 17; anything longer is not an amount
_MONEY_RE = re.compile(
    r"""
    \$?\s*                                  # optional dollar sign
    (?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)  # 1,234,567 or 1234567 (or nothing, as in ".50")
    (?:\.(?P<frac>[0-9]+))?                 # optional decimals; counted below
    """,
    re.VERBOSE | re.ASCII,
)


def math_context() -> AbstractContextManager[Context]:
    """Return a context manager for intermediate Decimal maths at a fixed, named precision."""
    return localcontext(MATH_CONTEXT)


# `to_cents`'s own copy of MATH_CONTEXT, passed to `quantize` (no `localcontext` per call: the
# hot path of the ledger maths; flags it raises land here, not in MATH_CONTEXT).
_CENTS_CONTEXT = MATH_CONTEXT.copy()


def _require_finite_decimal(value: object, what: str = "amount") -> Decimal:
    """Reject floats, bools and non-finite Decimals so money never silently goes imprecise."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal, not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite number")
    return value


def to_cents(value: Decimal) -> Decimal:
    """Round to cents with ROUND_HALF_UP: the project's one and only cent-rounding point."""
    if type(value) is not Decimal or not value.is_finite():  # the checks, off the hot path
        value = _require_finite_decimal(value, "value")
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=_CENTS_CONTEXT)


def is_cents(value: Decimal) -> bool:
    """Tell whether a finite Decimal is a whole number of cents (e.g. 1.5, 1.50 yes; 1.005 no)."""
    if type(value) is not Decimal or not value.is_finite():
        value = _require_finite_decimal(value)
    return value == value.quantize(CENT, rounding=ROUND_HALF_UP, context=_CENTS_CONTEXT)


def to_minor_units(amount: Decimal) -> int:
    """Convert dollars to integer cents for a gateway; refuses sub-cent amounts, never rounds."""
    amount = _require_finite_decimal(amount)
    if not is_cents(amount):
        raise ValueError("amount has more than 2 decimal places")
    with math_context():
        return int(amount.scaleb(2))


def from_minor_units(minor: int) -> Decimal:
    """Convert integer cents from a gateway to a Decimal with exactly 2 decimal places."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"minor units must be an int, not {type(minor).__name__}")
    with math_context():
        return Decimal(minor).scaleb(-2)


def parse_money(text: str) -> Decimal:
    """Parse a typed dollar amount ("1,234.56", "$483.32", "483") strictly, or raise ValueError.

    Refuses NaN/Infinity, exponents, signs, more than 2 decimals, empty input and amounts that
    do not fit NUMERIC(12,2). Zero parses (as 0.00): range checks belong to the caller.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    text = text.strip()
    if not text:
        raise ValueError("Enter an amount.")
    if len(text) > _MAX_INPUT_LENGTH:
        raise ValueError("That amount is too large.")
    match = _MONEY_RE.fullmatch(text)
    if match is None or not (match["int"] or match["frac"]):
        raise ValueError("Enter an amount in dollars and cents, like 1,234.56.")
    frac = match["frac"] or ""
    if len(frac) > 2:
        raise ValueError("Use at most 2 decimal places.")
    integer = match["int"].replace(",", "").lstrip("0")
    if len(integer) > MAX_INTEGER_DIGITS:
        raise ValueError("That amount is too large.")
    return Decimal(f"{integer or '0'}.{frac.ljust(2, '0')}")
