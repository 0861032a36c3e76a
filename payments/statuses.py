"""How a payment's or a plan's status is shown: its badge tone and whether it has a receipt.

The sets themselves live on the models (Payment.RECEIPT_STATUSES, Loan.CLOSED_STATUSES...);
templates get these answers precomputed and never test a status themselves.
"""

from .models import AutopayPlan, Payment

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
