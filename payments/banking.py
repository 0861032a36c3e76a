"""US bank-account checks: pure functions, no storage."""

import re

_ROUTING_WEIGHTS = (3, 7, 1) * 3


def routing_number_valid(routing: str) -> bool:
    """ABA routing number: 9 digits whose weighted sum (3,7,1 repeating) is a multiple of 10."""
    if not re.fullmatch(r"\d{9}", routing or ""):
        return False
    total = sum(int(d) * w for d, w in zip(routing, _ROUTING_WEIGHTS, strict=True))
    return total % 10 == 0


def account_number_valid(account: str) -> bool:
    """US account numbers are 4–17 digits."""
    return bool(re.fullmatch(r"\d{4,17}", account or ""))


def last4(number: str) -> str:
    return number[-4:]
