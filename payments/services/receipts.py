"""Is this receipt already on the books? One rule for every path that records money received
in hand (by hand, a remittance file, applied from suspense, moved from another loan), and how
the earlier record reads in a refusal (received.py `received_check`)."""

import datetime as dt
from decimal import Decimal

from loans.models import Loan

from ..models import Payment, SuspenseItem
from ..models.payment import RETURNABLE_PAPER

S = Payment.Status
# Days apart two records of one receipt may be dated and still be the same money: the same
# paper item is often dated the day it arrived when recorded by hand and the deposit day in
# the lockbox file (a weekend and a holiday between them at most).
RECEIPT_DATE_WINDOW_DAYS = 5


def same_reference(reference: str) -> str:
    """A reference as compared: its letters and digits, any case ("LB-77", "lb 77" and
    "LB77" are one check)."""
    return "".join(c for c in reference.casefold() if c.isalnum())


def _channels(channel: str) -> tuple[str, ...]:
    """Paper (check, money order, lockbox) is one family: a lockbox item is a check, and staff
    may record it by hand as either."""
    return RETURNABLE_PAPER if channel in RETURNABLE_PAPER else (channel,)


def receipt_on_books(
    *,
    loan: Loan,
    channel: str,
    reference: str,
    amount: Decimal,
    effective_date: dt.date,
    except_key: str = "",
) -> Payment | SuspenseItem | None:
    """The one rule for "is this receipt already on the books?", whatever path recorded it (by
    hand, a remittance file, applied from suspense): a payment of this loan with the same
    amount, the same reference (`same_reference`), a channel of the same family (`_channels`)
    and a date at most RECEIPT_DATE_WINDOW_DAYS away, or money held whole in suspense for it
    (an item with no payment: a closed loan's). A returned payment is not: its money never
    arrived. Another amount, or a date further away, under a reused reference is other money.
    `except_key`: the recording's own key (a replay, not a second receipt)."""
    window = dt.timedelta(days=RECEIPT_DATE_WINDOW_DAYS)
    dates = (effective_date - window, effective_date + window)
    same = {"loan": loan, "channel__in": _channels(channel), "amount": amount}
    payments = (
        Payment.objects.filter(effective_date__range=dates, **same)
        .exclude(status=S.RETURNED)
        .exclude(idempotency_key=except_key)
    )
    items = SuspenseItem.objects.filter(received_on__range=dates, payment=None, **same).exclude(
        idempotency_key=except_key
    )
    wanted = same_reference(reference)
    for record in (*payments.order_by("pk"), *items.order_by("pk")):
        ref = record.channel_reference if isinstance(record, Payment) else record.reference
        if same_reference(ref) == wanted:
            return record
    return None


# How a receipt came onto the books, by its key's prefix (received_key's is "recorded by hand").
_PATHS = (
    ("remit:", "imported from a remittance file"),
    ("suspense:", "applied from suspense"),
    ("move:", "moved from another loan"),
)


def recorded_as(record: Payment | SuspenseItem) -> str:
    """How the earlier record of a receipt reads in a refusal: which one and by what path."""
    key = record.idempotency_key
    how = next((how for prefix, how in _PATHS if key.startswith(prefix)), "recorded by hand")
    what = f"payment {record.reference}" if isinstance(record, Payment) else str(record)
    return f"{what}, {how}"
