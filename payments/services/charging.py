"""Sending a payment to the processor under its stored idempotency key and recording the answer
(posted, pending, declined, refunded when the loan cannot take it), and the recovery sweep's
question by key for a payment whose call had no answer. Safe to call again: a settled outcome is
never charged twice."""

import datetime as dt
import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ismartpay.core.today import business_date
from loans.models import Loan
from loans.services import loan_post_payment

from ..gateways import get_gateway
from ..gateways.base import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    GatewayError,
    OutcomeUnknown,
    TemporaryGatewayError,
)
from ..lock_objects import payment_for_update, payment_row_for_update
from ..models import Payment, PaymentEvent
from ..notifications import payment_notice_queue
from .events import transition
from .gate import applicable_amount, charge_refusal
from .payoff import loan_paid_off_followups
from .refusals import payment_cancel_refused

logger = logging.getLogger("ismartpay.payments")
S = Payment.Status
RECOVERY = "system:recovery"  # the actor label of what the recovery sweep records
SEEN = object()  # payment_recover(claim=…) not given: the claim as it is when first read


def payment_charge(
    *,
    payment_id: int,
    actor_label: str = "system",
    now: dt.datetime | None = None,
    held: dt.datetime | None = None,
) -> Payment:
    """Send a SUBMITTING (or due SCHEDULED) payment to the processor under its stored
    idempotency key and record the outcome. The charge gate runs first, under the loan's lock,
    in the transaction that claims the call: a payment the loan can no longer take, from a
    method no longer usable, or by a payer who lost access, ends CANCELLED with the reason and
    the processor is never called. Safe to call again: a settled outcome is never charged twice.
    `held`: the claim (`submitted_at`) the caller holds (a recovery's resend), None for none."""
    now = now or timezone.now()
    payment, claimed = _claim_the_call(payment_id, actor_label=actor_label, now=now, held=held)
    if not claimed:
        return payment
    return _send(payment, actor_label=actor_label)


def _claim_the_call(
    payment_id: int, *, actor_label: str, now: dt.datetime, held: dt.datetime | None
) -> tuple[Payment, bool]:
    """One transaction: the gate, then the claim on the call (`submitted_at`), a compare-and-set
    from `held` (None: unclaimed) to `now` under the row lock. Returns the payment and whether
    this caller is to call the processor."""
    with transaction.atomic():
        loan, payment = payment_for_update(payment_id)
        if payment.status == S.SCHEDULED:
            transition(payment, S.SUBMITTING, actor_label=actor_label)
        if payment.status != S.SUBMITTING or payment.submitted_at != held:
            # Resolved, or another request, worker or sweep has claimed the processor call; a
            # claim left by a crash is the recovery sweep's to resolve (payment_recover).
            return payment, False
        refusal = charge_refusal(
            loan=loan,
            method=payment.method,
            payer=payment.payer,
            amount=payment.amount,
            principal_only=payment.principal_only,
            effective=payment.effective_date,
            on=business_date(loan.lender, now),
            exclude_payment_id=payment.pk,
            autopay_key=payment.idempotency_key if payment.source == Payment.Source.AUTOPAY else "",
        )
        if refusal is not None:
            payment_cancel_refused(
                payment,
                reason=refusal.message,
                refused=refusal.code,
                actor_label=actor_label,
                detail={"reason": refusal.message},
            )
            return payment, False
        payment.submitted_at = now
        payment.save(update_fields=["submitted_at", "updated_at"])
    return payment, True


def _send(payment: Payment, *, actor_label: str) -> Payment:
    """The processor call (the claim is committed) and its answer, or its error, recorded."""
    request = ChargeRequest(
        idempotency_key=payment.idempotency_key,
        amount=payment.total_charged,
        source_token=payment.method.processor_token,
        description=f"Loan payment {payment.reference}",
    )
    try:
        result = get_gateway().charge(request)
    except TemporaryGatewayError as exc:
        return _record_failure(payment.pk, decline_code=str(exc) or "processing_error")
    except OutcomeUnknown:
        return _record_unknown(payment.pk, reason="no answer from the processor")
    except GatewayError as exc:
        logger.error("processor refused payment %s: %s", payment.reference, exc)
        return _record_failure(payment.pk, decline_code="processing_error")
    return payment_record_result(payment_id=payment.pk, result=result, actor_label=actor_label)


def ledger_refs(payment: Payment) -> dict:
    """The ledger posting's keys for a payment's money, one rule for the one-payment path and
    the set path (batch_record.py): `payment:<id>` is the posting's idempotency key, so a
    replay finds the posting instead of posting twice."""
    return {
        "idempotency_key": f"payment:{payment.pk}",
        "external_ref": f"payment:{payment.pk}",
        "actor": payment.payer,
        "actor_label": f"payment:{payment.reference}",
    }


def payment_record_result(*, payment_id: int, result: ChargeResult, actor_label: str) -> Payment:
    """Apply the processor's answer: decline, or post to the loan (card: POSTED; bank: PENDING
    until it settles). Money the loan cannot take any more (paid down since the gate let the
    charge through, or a payoff quote paid above the payoff on its date) is never left as
    posted: what fits is posted, the rest is recorded as unapplied in the same transaction and
    refunded through the processor under its own key right after (refunds.py). A capture for a
    payment cancelled meanwhile is refunded whole (`_record_late_capture`). Idempotent: an
    already-resolved payment is returned unchanged."""
    with transaction.atomic():
        loan, payment = payment_for_update(payment_id)
        if payment.status == S.CANCELLED and result.status != ChargeStatus.FAILED:
            _record_late_capture(payment, result, actor_label=actor_label)
        elif payment.status not in Payment.IN_FLIGHT_STATUSES:
            return payment
        else:
            _record_answer(loan, payment, result, actor_label=actor_label)
    if payment.unapplied_amount:
        from .refunds import payment_refund_unapplied

        return payment_refund_unapplied(payment_id=payment.pk)
    return payment


def _record_answer(loan, payment: Payment, result: ChargeResult, *, actor_label: str) -> None:
    payment.processor_ref = result.processor_ref
    if result.status == ChargeStatus.FAILED:
        _record_decline(payment, result.decline_code, actor_label=actor_label)
        return
    _record_capture(loan, payment, result, actor_label=actor_label)


def _record_late_capture(payment: Payment, result: ChargeResult, *, actor_label: str) -> None:
    """The processor took the money of a payment that was cancelled meanwhile (its call outlived
    its claim and another path refused it). The payment stays cancelled — nothing was posted —
    and all the money taken is recorded as unapplied, so it is given back under
    `refund:unapplied:<key>` (refunds.py; the refund sweep finishes it if this process dies).
    Not a change of status: the event records the capture on the cancelled payment."""
    logger.error(
        "payment %s was captured after it was cancelled (%s): refunding it",
        payment.reference,
        result.processor_ref,
    )
    payment.processor_ref = result.processor_ref
    payment.unapplied_amount = payment.amount
    payment.save(update_fields=["processor_ref", "unapplied_amount", "updated_at"])
    PaymentEvent.objects.create(
        payment=payment,
        from_status=S.CANCELLED,
        to_status=S.CANCELLED,
        actor_label=actor_label,
        processor_ref=result.processor_ref,
        detail={"late_capture": result.processor_ref, "refund": str(payment.total_charged)},
    )


def _record_decline(payment: Payment, decline_code: str, *, actor_label: str) -> None:
    payment.decline_code = decline_code
    transition(
        payment,
        S.FAILED,
        actor_label=actor_label,
        fields=("processor_ref", "decline_code"),
        detail={"decline_code": decline_code},
    )
    payment_notice_queue(payment, "failed")


def _record_capture(loan: Loan, payment: Payment, result: ChargeResult, *, actor_label: str):
    """The money was taken: what the locked loan can take is posted, the rest is unapplied
    (refunded by the caller after the commit); none of it fits: the whole charge is refunded."""
    applied = _applicable(loan, payment)
    payment.unapplied_amount = payment.amount - applied
    detail = {"unapplied": str(payment.unapplied_amount)} if payment.unapplied_amount else {}
    if applied == 0:
        # Nothing of it can reach the loan: the whole charge, fee included, goes back.
        payment.status_reason = "Your loan could not take this payment, so it was refunded."
        transition(
            payment,
            S.REFUNDING,
            actor_label=actor_label,
            fields=("processor_ref", "unapplied_amount", "status_reason"),
            detail=detail,
        )
        return
    posting = loan_post_payment(
        loan_id=payment.loan_id,
        amount=applied,
        effective_date=payment.effective_date,
        principal_only=payment.principal_only,
        payoff=payment.is_payoff,
        **ledger_refs(payment),
    )
    payment.loan_posting_id = posting.pk
    transition(
        payment,
        S.PENDING if result.status == ChargeStatus.PENDING else S.POSTED,
        actor_label=actor_label,
        fields=("processor_ref", "loan_posting_id", "unapplied_amount"),
        detail=detail,
    )
    payment_notice_queue(payment, "received")
    loan_paid_off_followups(loan_id=payment.loan_id, paid_by=payment)


def _applicable(loan: Loan, payment: Payment) -> Decimal:
    """How much of a captured payment the (locked) loan can take on its effective date: all of
    it, or the payoff (principal, for principal-only) when that is smaller."""
    return applicable_amount(
        loan,
        amount=payment.amount,
        effective=payment.effective_date,
        principal_only=payment.principal_only,
    )


def _record_failure(payment_id: int, *, decline_code: str) -> Payment:
    with transaction.atomic():
        payment = payment_row_for_update(payment_id)
        if payment.status in Payment.IN_FLIGHT_STATUSES:
            payment.decline_code = decline_code
            transition(
                payment,
                S.FAILED,
                actor_label="processor",
                fields=("decline_code",),
                detail={"decline_code": decline_code},
            )
            payment_notice_queue(payment, "failed")
    return payment


def _record_unknown(payment_id: int, *, reason: str) -> Payment:
    with transaction.atomic():
        payment = payment_row_for_update(payment_id)
        if payment.status == S.SUBMITTING:
            transition(payment, S.UNKNOWN, actor_label="processor", detail={"reason": reason})
    return payment


def payment_recover(*, payment_id: int, claim=SEEN) -> Payment:
    """Recovery sweep, for a payment stuck in SUBMITTING (its worker died) or UNKNOWN (no
    answer). Ask the processor by idempotency key: found, record that outcome; not found, the
    processor never took it, so send it again under the same key (`payment_resend`).
    `claim`: the recovery claim the caller took (payments/recovery.py); not given, the claim
    as read here (a direct call)."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status not in Payment.IN_FLIGHT_STATUSES:
        return payment
    held = payment.submitted_at if claim is SEEN else claim
    result = get_gateway().fetch_charge(payment.idempotency_key)
    if result is not None:
        return payment_record_result(payment_id=payment_id, result=result, actor_label=RECOVERY)
    return payment_resend(payment_id=payment_id, held=held)


def payment_resend(*, payment_id: int, held=SEEN) -> Payment:
    """The processor has no record of the payment's key: it never took it. Renew the recovery
    claim this caller holds (`held`, a compare-and-set under the row lock: if another sweep
    took the claim since, it is left to it and nothing is sent), put an UNKNOWN payment back
    to SUBMITTING, and charge it again under the same key (never a new one), through the
    charge gate (`payment_charge`, which renews the claim again the same way)."""
    with transaction.atomic():
        payment = payment_row_for_update(payment_id)
        if payment.status not in Payment.IN_FLIGHT_STATUSES:
            return payment
        if payment.submitted_at != (payment.submitted_at if held is SEEN else held):
            return payment  # another sweep holds it now: it finishes the payment
        if payment.status == S.UNKNOWN:
            transition(
                payment,
                S.SUBMITTING,
                actor_label=RECOVERY,
                detail={"retry": "processor has no record of this key"},
            )
        payment.submitted_at = held = timezone.now()  # renewed: ours for STUCK_AFTER more
        payment.save(update_fields=["submitted_at", "updated_at"])
    return payment_charge(payment_id=payment_id, actor_label=RECOVERY, held=held)
