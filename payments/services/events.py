"""The one way a payment's status changes: guarded by the allowed transitions, recorded as a
PaymentEvent in the same transaction."""

from ..errors import InvalidTransition
from ..models import Payment, PaymentEvent
from ..models.payment import RETURNABLE_PAPER

S = Payment.Status
ALLOWED: dict[str, set[str]] = {
    # "" → POSTED: money already in hand (check, wire, cash network, lockbox) recorded by staff
    # or a remittance file and applied at once — no processor call (services/received.py).
    "": {S.SCHEDULED, S.SUBMITTING, S.HELD, S.POSTED},
    S.SCHEDULED: {S.SUBMITTING, S.CANCELLED},
    S.HELD: {S.SUBMITTING, S.SCHEDULED, S.CANCELLED},
    # SUBMITTING → CANCELLED: the charge gate refused it before the processor was called.
    # SUBMITTING/UNKNOWN → REFUNDING: captured, but the loan could take none of it.
    S.SUBMITTING: {S.PENDING, S.POSTED, S.FAILED, S.UNKNOWN, S.CANCELLED, S.REFUNDING},
    S.UNKNOWN: {S.SUBMITTING, S.PENDING, S.POSTED, S.FAILED, S.REFUNDING},
    S.PENDING: {S.SETTLED, S.RETURNED, S.REVERSED},
    # POSTED → RETURNED: a posted check or money order the bank sent back unpaid.
    S.POSTED: {S.REFUNDING, S.REVERSED, S.RETURNED},
    S.SETTLED: {S.REFUNDING, S.REVERSED},
    S.REFUNDING: {S.REFUNDED},
    S.FAILED: set(),
    S.RETURNED: set(),
    S.REFUNDED: set(),
    # REVERSED → RETURNED: a reversed check (its money held in suspense) the bank later sent
    # back unpaid; the return voids what is still held for it (services/returned_checks.py).
    S.REVERSED: {S.RETURNED},
    S.CANCELLED: set(),
}


def paper_return_allowed(payment: Payment) -> bool:
    """A check, money order or lockbox item the bank may still send back unpaid: paper whose
    status may become RETURNED in the table above (posted, or reversed with its money held in
    suspense; a settled one may not)."""
    return payment.channel in RETURNABLE_PAPER and S.RETURNED in ALLOWED.get(payment.status, ())


def record_created(payment: Payment, *, actor=None, actor_label: str) -> PaymentEvent:
    return PaymentEvent.objects.create(
        payment=payment,
        from_status="",
        to_status=payment.status,
        actor=actor,
        actor_label=actor_label,
    )


def transition(
    payment: Payment,
    to: str,
    *,
    actor=None,
    actor_label: str,
    fields: tuple[str, ...] = (),
    detail: dict | None = None,
) -> PaymentEvent:
    """Move `payment` (locked by the caller) to `to`, saving `fields` too, and record it."""
    source = payment.status
    if to not in ALLOWED[source]:
        raise InvalidTransition(
            f"A {payment.get_status_display().lower()} payment cannot become {to}."
        )
    payment.status = to
    payment.save(update_fields=["status", "updated_at", *fields])
    return PaymentEvent.objects.create(
        payment=payment,
        from_status=source,
        to_status=to,
        actor=actor,
        actor_label=actor_label,
        processor_ref=payment.processor_ref,
        detail=detail or {},
    )
