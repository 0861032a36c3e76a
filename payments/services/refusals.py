"""Ending a payment that will take no money: the charge gate's refusal, a payoff, a removed
method. One function, so each such payment carries the payer's reason, the refusal's code on
its event and the payer's email, written in the caller's transaction."""

from ..models import Payment
from ..notifications import payment_notice_queue
from .events import transition


def payment_cancel_refused(
    payment: Payment,
    *,
    reason: str,
    refused: str,
    actor_label: str,
    actor=None,
    detail: dict | None = None,
) -> None:
    """Move `payment` (locked by the caller) to CANCELLED with `reason` for the payer and the
    refusal code (`rules.py`: loan_closed, method, amount, …) on its event; owe the payer the
    "cancelled" email."""
    payment.status_reason = reason[:200]
    transition(
        payment,
        Payment.Status.CANCELLED,
        actor=actor,
        actor_label=actor_label,
        fields=("status_reason",),
        detail={"refused": refused, **(detail or {})},
    )
    payment_notice_queue(payment, "cancelled")
