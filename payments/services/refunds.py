"""Giving money back through the processor: a staff refund, and the automatic refund of
captured money the loan could not take. Each refund is claimed in the database first (status
REFUNDING, or `unapplied_amount` committed with the posting), then sent under a key derived
from the payment, so a retry, a second click or the recovery sweep never refunds twice."""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from loans.services import loan_reverse_posting

from ..errors import PaymentError
from ..gateways import get_gateway
from ..gateways.base import GatewayError
from ..lock_objects import payment_for_update, payment_row_for_update
from ..models import Payment, SuspenseItem
from ..models.payment import GATEWAY_CHANNELS
from ..notifications import payment_notice_queue
from .events import transition

logger = logging.getLogger("ismartpay.payments")
S = Payment.Status
REFUNDABLE = (S.POSTED, S.SETTLED)
# Where an unapplied part can go back: captured and final (a card), settled (a bank debit), or
# the whole payment being refunded. Not PENDING (an ACH debit is refunded after it settles).
# CANCELLED: only with unapplied money, which only a capture answered after the payment was
# cancelled records (charging._record_late_capture): all of it goes back.
UNAPPLIED_REFUNDABLE = (S.POSTED, S.SETTLED, S.REFUNDING, S.REFUNDED, S.REVERSED, S.CANCELLED)


def payment_refund(*, payment_id: int, reason: str, actor) -> Payment:
    """Staff refund of a posted or settled payment. The claim (REFUNDING) is committed under
    the loan's and the payment's locks, so a refund, a reversal and an approval of the same
    payment submitted at once serialize: one wins, the others are refused with the reason."""
    if not reason or not reason.strip():
        raise PaymentError("Give a reason for the refund.")
    with transaction.atomic():
        _loan, payment = payment_for_update(payment_id)
        if not payment.through_gateway:
            raise PaymentError(
                "This payment was not taken by the processor; there is nothing to send back "
                "through it. Reverse it, then refund the money from suspense."
            )
        if payment.status not in REFUNDABLE:
            raise PaymentError(
                f"This payment is {payment.get_status_display().lower()}; only a posted or "
                "settled payment can be refunded."
            )
        payment.status_reason = f"Refunded: {reason.strip()}"[:200]
        transition(
            payment,
            S.REFUNDING,
            actor=actor,
            actor_label="staff",
            fields=("status_reason",),
            detail={"reason": reason},
        )
    return payment_refund_finish(payment_id=payment_id, actor=actor)


def payment_refund_finish(*, payment_id: int, actor=None) -> Payment:
    """Send a claimed (REFUNDING) refund to the processor and, once it agreed, undo the posting.
    Safe to call again (the sweep does, for a claim whose process died)."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != S.REFUNDING:
        return payment
    if payment.loan_posting_id is None:  # captured, nothing applied: the unapplied refund
        return payment_refund_unapplied(payment_id=payment_id)
    try:
        get_gateway().refund(
            idempotency_key=f"refund:{payment.idempotency_key}",
            processor_ref=payment.processor_ref,
            # The unapplied part, if any, goes back under its own key (payment_refund_unapplied).
            amount=payment.total_charged - payment.unapplied_amount,
        )
    except GatewayError as exc:
        logger.warning("refund of payment %s not sent yet: %s", payment.reference, exc)
        raise PaymentError(
            "The processor did not confirm the refund yet; it is retried automatically."
        ) from exc
    with transaction.atomic():
        _loan, payment = payment_for_update(payment_id)
        if payment.status != S.REFUNDING:
            return payment
        loan_reverse_posting(
            posting_id=payment.loan_posting_id,
            reason=payment.status_reason or "Refund",
            actor=actor,
            actor_label="staff" if actor is not None else "system:recovery",
        )
        transition(payment, S.REFUNDED, actor=actor, actor_label="staff" if actor else "system")
    return payment


def payment_refund_unapplied(*, payment_id: int) -> Payment:
    """Give back captured money the loan could not take (`unapplied_amount`; the card fee too
    when nothing at all was applied) under `refund:unapplied:<key>`. The payer is emailed."""
    payment = Payment.objects.get(pk=payment_id)
    if not payment.unapplied_amount or payment.unapplied_refunded_at is not None:
        return payment
    if not payment.through_gateway:  # a check's excess is held in suspense (suspense.py)
        return payment
    if SuspenseItem.objects.filter(idempotency_key=f"payment:{payment.pk}").exists():
        # Card money left over after a move is held in suspense (received.record_in_hand's key)
        # and refunded from there; sending it back here too would refund it twice.
        return payment
    if payment.status not in UNAPPLIED_REFUNDABLE:
        # A bank debit is refunded once it settled (settlement calls this again); a returned
        # one never brought the money, so there is nothing to give back.
        return payment
    nothing_applied = payment.loan_posting_id is None
    amount = payment.total_charged if nothing_applied else payment.unapplied_amount
    try:
        refund = get_gateway().refund(
            idempotency_key=f"refund:unapplied:{payment.idempotency_key}",
            processor_ref=payment.processor_ref,
            amount=amount,
        )
    except GatewayError as exc:
        logger.error("unapplied refund of payment %s not sent yet: %s", payment.reference, exc)
        return payment
    with transaction.atomic():
        payment = payment_row_for_update(payment_id)
        if payment.unapplied_refunded_at is not None:
            return payment
        payment.unapplied_refund_ref = refund.processor_ref
        payment.unapplied_refunded_at = timezone.now()
        payment.save(update_fields=["unapplied_refund_ref", "unapplied_refunded_at", "updated_at"])
        if payment.status == S.REFUNDING and nothing_applied:
            transition(
                payment,
                S.REFUNDED,
                actor_label="system:refund",
                detail={"refund_ref": refund.processor_ref, "amount": str(amount)},
            )
        payment_notice_queue(payment, "refunded")
    return payment


def refunds_resume(*, now: dt.datetime | None = None, older_than_seconds: int = 60) -> int:
    """Recovery sweep: finish refunds whose process died after claiming them. Returns how many
    payments it looked at."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=older_than_seconds)
    stale = Payment.objects.filter(updated_at__lt=cutoff, channel__in=GATEWAY_CHANNELS)
    ids = list(stale.filter(status=S.REFUNDING).values_list("pk", flat=True))
    ids += list(
        stale.filter(
            unapplied_amount__gt=0,
            unapplied_refunded_at__isnull=True,
            status__in=[s for s in UNAPPLIED_REFUNDABLE if s != S.REFUNDING],
        ).values_list("pk", flat=True)
    )
    for payment_id in ids:
        try:
            payment_refund_finish(payment_id=payment_id)
            payment_refund_unapplied(payment_id=payment_id)
        except Exception:
            logger.exception("resuming the refund of payment %s failed; next sweep", payment_id)
    return len(ids)
