"""Turn a payment's event log into the timeline a borrower reads."""

import datetime as dt
from dataclasses import dataclass

from .models import Payment

S = Payment.Status
LABELS = {
    S.SCHEDULED: "Scheduled",
    S.HELD: "Held for a quick check (nothing charged yet)",
    S.SUBMITTING: "Submitted",
    S.UNKNOWN: "Checking with the processor",
    S.PENDING: "At the bank",
    S.POSTED: "Applied to your loan",
    S.SETTLED: "Settled",
    S.FAILED: "Declined",
    S.RETURNED: "Returned by your bank",
    S.REFUNDING: "Refund sent to the processor",
    S.REFUNDED: "Refunded",
    S.REVERSED: "Reversed",
    S.CANCELLED: "Cancelled",
}


@dataclass(frozen=True)
class TimelineStep:
    label: str
    at: dt.datetime | None
    done: bool
    tone: str  # success | danger | neutral


def payment_timeline(payment: Payment) -> list[TimelineStep]:
    """What happened, in order; then what is still to come for a payment under way."""
    steps = []
    for event in payment.events.all():
        if event.to_status == S.SUBMITTING and event.from_status == S.UNKNOWN:
            continue  # an internal retry of the same attempt
        tone = "danger" if event.to_status in (S.FAILED, S.RETURNED) else "success"
        steps.append(TimelineStep(LABELS[event.to_status], event.at, True, tone))
    if payment.status == S.PENDING:
        steps.append(TimelineStep("Settles in about 2 business days", None, False, "neutral"))
    if payment.status == S.SCHEDULED:
        steps.append(TimelineStep("Sent on the payment date", None, False, "neutral"))
    return steps
