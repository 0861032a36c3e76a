"""How a payment's or a plan's status is shown: its badge tone and whether it has a receipt.

The sets themselves live on the models (Payment.RECEIPT_STATUSES, Loan.CLOSED_STATUSES...);
templates get these answers precomputed and never test a status themselves. Which staff actions
a payment's admin page offers is read from the one transition table (events.ALLOWED).
"""

from .models import AutopayPlan, Payment
from .services.events import ALLOWED, paper_return_allowed
from .services.suspense import moved_to

S = Payment.Status

PAYMENT_TONES = {
    S.SCHEDULED: "info",
    S.HELD: "warning",
    S.SUBMITTING: "info",
    S.UNKNOWN: "warning",
    S.PENDING: "info",
    S.POSTED: "success",
    S.SETTLED: "success",
    S.FAILED: "danger",
    S.RETURNED: "danger",
    S.REFUNDING: "neutral",
    S.REFUNDED: "neutral",
    S.REVERSED: "neutral",
    S.CANCELLED: "neutral",
}
PLAN_TONES = {
    AutopayPlan.Status.ACTIVE: "success",
    AutopayPlan.Status.PAUSED: "warning",
    AutopayPlan.Status.SUSPENDED: "warning",
}


def payment_status_tone(status: str) -> str:
    return PAYMENT_TONES.get(status, "neutral")


def payment_has_receipt(status: str) -> bool:
    return status in Payment.RECEIPT_STATUSES


def plan_status_tone(status: str) -> str:
    return PLAN_TONES.get(status, "neutral")


def payment_staff_actions(payment: Payment) -> dict[str, bool]:
    """The staff actions the payment's admin change form offers, read from the transition
    table: a refund or a move needs money in hand (it may become REFUNDING and is not in a
    processor call: posted or settled), a reversal a status that may become REVERSED, a
    returned check paper in hand that may become RETURNED (posted: a settled check may not),
    and not moved to another loan (returning the copy there is the return).
    Permissions are the template's; the services still check and refuse with the reason."""
    status = payment.status
    can_become = ALLOWED.get(status, set())
    in_hand = S.REFUNDING in can_become and status not in Payment.IN_FLIGHT_STATUSES
    return {
        "review": status == S.HELD,  # approve (→ SUBMITTING/SCHEDULED) or reject (→ CANCELLED)
        "refund": in_hand,
        "reverse": S.REVERSED in can_become,
        "move": in_hand and S.REVERSED in can_become,  # reversed here, posted on the right loan
        # posted, or reversed and held; not a moved original (the copy on the other loan is)
        "return_check": paper_return_allowed(payment) and moved_to(payment) is None,
    }
