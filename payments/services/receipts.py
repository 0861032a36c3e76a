"""Is this receipt already on the books? One rule for every path that records money received
in hand (by hand, a remittance file, applied from suspense, moved from another loan), and how
the earlier record reads in a refusal (received.py `received_check`)."""

import datetime as dt
from decimal import Decimal

from loans.models import Loan

from ..models import Payment, SuspenseItem

S = Payment.Status


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
    channel, reference, amount and date, or money held whole in suspense for it (an item with
    no payment: a closed loan's). A returned payment is not: its money never arrived. Another
    amount or date under a reused reference is other money. `except_key`: the recording's own
    key (a replay, not a second receipt)."""
    same = {"loan": loan, "channel": channel, "amount": amount}
    payments = Payment.objects.filter(
        channel_reference=reference, effective_date=effective_date, **same
    ).exclude(status=S.RETURNED)
    items = SuspenseItem.objects.filter(
        reference=reference, received_on=effective_date, payment=None, **same
    )
    return (
        payments.exclude(idempotency_key=except_key).order_by("pk").first()
        or items.exclude(idempotency_key=except_key).order_by("pk").first()
    )


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
