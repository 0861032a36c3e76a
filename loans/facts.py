"""The facts that prove a loan: its number, billing ZIP and the VIN's last 6 characters.

Linking a loan (loans.linking.loan_link) and the guest payment's look-up
(payments.views.guest._find_loan) both prove a loan with these facts; this is the one rule.
Both facts are compared in constant time and both comparisons always run, even when no loan
has the number, so neither the answer nor its timing tells which fact was wrong.
"""

import hmac
import re

_NOWHERE = "\x00" * 6  # compared against when no loan matches: the same work either way


def normalize_zip(text: str | None) -> str:
    """The 5-digit ZIP: spaces removed, ZIP+4's extension dropped ("10001-1234" -> "10001")."""
    return re.sub(r"\s", "", text or "")[:5]


def normalize_vin_last6(text: str | None) -> str:
    """The VIN's last 6 characters, spaces removed, upper case (VINs have no case)."""
    return re.sub(r"\s", "", text or "").upper()[-6:]


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def loan_facts_match(loan, *, billing_zip: str, vin_last6: str) -> bool:
    """Whether `loan` (None when no loan has the number) is proven by the ZIP and VIN given."""
    zip_on_file = normalize_zip(loan.billing_zip) if loan is not None else _NOWHERE[:5]
    vin_on_file = normalize_vin_last6(loan.vin) if loan is not None else _NOWHERE
    zip_ok = _same(zip_on_file, normalize_zip(billing_zip))
    vin_ok = _same(vin_on_file, normalize_vin_last6(vin_last6))
    return loan is not None and zip_ok and vin_ok
