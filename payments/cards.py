"""Card-number checks done before anything reaches a processor: pure functions, no storage."""

import re

_BRANDS = [  # (brand, pattern on the leading digits, allowed lengths)
    ("amex", re.compile(r"^3[47]"), {15}),
    ("visa", re.compile(r"^4"), {13, 16, 19}),
    ("mastercard", re.compile(r"^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))"), {16}),
    ("discover", re.compile(r"^(6011|65|64[4-9])"), {16, 19}),
]
BRAND_LABELS = {
    "amex": "American Express",
    "visa": "Visa",
    "mastercard": "Mastercard",
    "discover": "Discover",
}


def digits_only(text: str) -> str:
    """Drop the spaces and dashes people type between digit groups."""
    return re.sub(r"[\s-]", "", text or "")


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> str | None:
    """The brand for a full number (prefix and length), or None when unknown."""
    for brand, prefix, lengths in _BRANDS:
        if prefix.match(number) and len(number) in lengths:
            return brand
    return None


def cvc_length(brand: str | None) -> int:
    return 4 if brand == "amex" else 3


# A card's expiry as people type it: "12/29", "12/2029", and, on a phone's number pad (which
# has no "/"), "1229", "12 29", "12-29". Any dash or space between month and year is a separator.
_EXPIRY_SPLIT = re.compile(r"^([0-9]{1,2})\s*[/\s\-\u2010-\u2015\u2212.]\s*([0-9]{2}|[0-9]{4})$")
_EXPIRY_RUN = re.compile(r"^([0-9]{2})([0-9]{2}|[0-9]{4})$")


def parse_expiry(text: str) -> tuple[int, int] | None:
    """(month, four-digit year) for a typed expiry, or None when it is not one. Only ASCII
    digits match; the form refuses other scripts' digits with its own message first."""
    value = (text or "").strip()
    match = _EXPIRY_SPLIT.match(value) or _EXPIRY_RUN.match(value)
    if match is None:
        return None
    month, year = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return None
    return month, year + 2000 if year < 100 else year
