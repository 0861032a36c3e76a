"""Typed numbers accept ASCII 0–9 only (issue 10, item 4).

Python's `\\d`, `str.isdigit()` and `int()` also take Arabic-Indic (٠١٢), full-width (０１２)
and other scripts' digits, so "١١٠٠٠٠٠٠٠" would pass as a routing number and be stored as
typed. Every form field that takes a number (routing, account, card number, CVC, ZIP, phone,
amounts, security and recovery codes) goes through these two functions.
"""

import re

from django import forms

ASCII_DIGITS_ONLY = "Use the digits 0–9 only."
ASCII_DIGITS = frozenset("0123456789")
# Spaces and dashes people type between digit groups (any Unicode space, ASCII and Unicode
# hyphens/dashes, the minus sign).
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]")


def refuse_non_ascii_digits(text: str) -> str:
    """`text` unchanged, or a field error when it holds any digit other than ASCII 0–9."""
    if any(ch.isnumeric() and ch not in ASCII_DIGITS for ch in text or ""):
        raise forms.ValidationError(ASCII_DIGITS_ONLY, code="non_ascii_digits")
    return text


def ascii_digits(text: str, *, message: str) -> str:
    """`text` without spaces and dashes, when only ASCII 0–9 remain; else a field error
    (ASCII_DIGITS_ONLY for other scripts' digits, `message` for anything else)."""
    value = _SEPARATORS.sub("", text or "")
    refuse_non_ascii_digits(value)
    if not value or not value.isascii() or not value.isdigit():
        raise forms.ValidationError(message)
    return value
