"""Taking a payment: create the row (idempotency key committed first), call the processor,
record the outcome, post it to the loan. Safe under double submit and concurrent requests."""

import datetime as dt
import logging
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from ismartpay.core.today import business_date
from loans import lock_objects as loan_locks
from loans.models import Loan
from loans.permissions import is_third_party
from loans.services import loan_post_payment

from .. import authorizations, rules
from ..errors import DuplicateSuspected
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
from ..models import Payment, PaymentMethod
from ..notifications import payment_notice_queue
from ..preview import payment_effective_date
from ..risk import risk_flags
from .events import record_created, transition
from .gate import applicable_amount, charge_refusal, raise_refusal
from .payoff import loan_paid_off_followups
from .refusals import payment_cancel_refused

logger = logging.getLogger("ismartpay.payments")
S = Payment.Status
DUPLICATE_WINDOW = dt.timedelta(minutes=10)
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone


def new_reference() -> str:
    body = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))
    return f"P{body[:5]}-{body[5:]}"


def new_idempotency_key() -> str:
    return f"pay_{secrets.token_urlsafe(24)}"


def payment_submit(
    *,
    loan_id: int,
    method: PaymentMethod,
    amount: Decimal,
    idempotency_key: str,
    payer=None,
    payer_email: str,
    scheduled_for: dt.date | None = None,
    principal_only: bool = False,
    is_payoff: bool = False,
    authorization_text: str = "",
    authorization_version: str = "",
    confirm_duplicate: bool = False,
    source: str = Payment.Source.ONE_TIME,
    channel: str = Payment.Channel.PORTAL,
    actor_label: str = "borrower",
    now: dt.datetime | None = None,
    business_date: dt.date | None = None,
) -> Payment:
    """Create (or find, by idempotency key) the payment and, unless it is scheduled for a later
    day, charge it now. Returns the payment in its resulting state.

    `business_date` is a nightly run's date: the payment counts on that date whatever the
    clock says, so a catch-up run for a missed night costs the borrower no interest or fee."""
    now = now or timezone.now()
    payment = _create(
        loan_id=loan_id,
        method=method,
        amount=amount,
        idempotency_key=idempotency_key,
        payer=payer,
        payer_email=payer_email,
        scheduled_for=scheduled_for,
        principal_only=principal_only,
        confirm_duplicate=confirm_duplicate,
        source=source,
        actor_label=actor_label,
        now=now,
        business_date=business_date,
        extra={
            "is_payoff": is_payoff,
            "authorization_text": authorization_text,
            # The text's version (payments.authorizations): the one-time texts' unless given.
            "authorization_version": authorization_version
            or (authorizations.ONE_TIME_VERSION if authorization_text else ""),
            "channel": channel,
        },
    )
    if payment.status == S.SUBMITTING:
        return payment_charge(payment_id=payment.pk, actor_label=actor_label)
    return payment


def _create(
    *,
    loan_id,
    method,
    amount,
    idempotency_key,
    payer,
    payer_email,
    scheduled_for,
    principal_only,
    confirm_duplicate,
    source,
    actor_label,
    now,
    business_date,
    extra,
) -> Payment:
    try:
        with transaction.atomic():
            # The loan's row lock serializes payments on one loan: the key check, the duplicate
            # check and the payoff check cannot race with another tab or device.
            loan = loan_locks.loan_for_update(loan_id)
            existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
            # The same rule the review page showed (payments/preview.py).
            today, effective, later = payment_effective_date(
                lender=loan.lender, now=now, scheduled_for=scheduled_for, business_day=business_date
            )
            refusal = charge_refusal(
                loan=loan,
                method=method,
                payer=payer,
                amount=amount,
                principal_only=principal_only,
                effective=effective,
                on=today,
            )
            if refusal is not None:
                raise_refusal(refusal)
            if not confirm_duplicate:
                _check_duplicate(loan_id, amount, now)
            flags = risk_flags(loan=loan, method=method, amount=amount, payer=payer, now=now)
            fee = rules.card_fee(
                method_kind=method.kind, lender_card_fee=loan.lender.card_convenience_fee
            )
            payment = Payment.objects.create(
                reference=new_reference(),
                idempotency_key=idempotency_key,
                loan=loan,
                payer=payer,
                payer_email=payer_email,
                method=method,
                method_kind=method.kind,
                method_label=method.label,
                source=source,
                amount=amount,
                fee_amount=fee,
                principal_only=principal_only,
                scheduled_for=scheduled_for or today,
                effective_date=effective,
                status=S.HELD if flags else S.SCHEDULED if later else S.SUBMITTING,
                risk_flags=flags,
                **extra,
            )
            record_created(payment, actor=payer, actor_label=actor_label)
            if is_third_party(actor_label):  # actor_label is the payer's role on the loan
                payment_notice_queue(payment, "third_party_paid")  # the owners are told
            if flags:
                payment_notice_queue(payment, "held")
            return payment
    except IntegrityError:
        # The same key committed by a concurrent request: that request owns the charge.
        return Payment.objects.get(idempotency_key=idempotency_key)


def _check_duplicate(loan_id: int, amount: Decimal, now: dt.datetime) -> None:
    recent = Payment.objects.filter(
        loan_id=loan_id, amount=amount, created_at__gte=now - DUPLICATE_WINDOW
    ).exclude(status__in=[S.FAILED, S.CANCELLED])
    if recent.exists():
        raise DuplicateSuspected(
            f"A payment of ${amount:,} was made on this loan in the last 10 minutes. "
            "Is this a second payment?"
        )
    # A scheduled payment or the next autopay debit already on the way for this due date
    # (payments/upcoming.py, the rule the dashboard's "nothing more to pay" reads).
    from ..upcoming import payment_on_the_way_for_due

    loan = Loan.objects.select_related("lender").get(pk=loan_id)
    incoming = payment_on_the_way_for_due(loan, today=business_date(loan.lender, now))
    if incoming is not None:
        what = (
            f"Autopay will debit ${incoming.amount:,} on {incoming.day:%b %-d}"
            if incoming.autopay
            else f"A payment of ${incoming.amount:,} is scheduled for {incoming.day:%b %-d}"
        )
        raise DuplicateSuspected(f"{what} for this due date. Is this a second payment?")


def payment_charge(
    *, payment_id: int, actor_label: str = "system", now: dt.datetime | None = None
) -> Payment:
    """Send a SUBMITTING (or due SCHEDULED) payment to the processor under its stored
    idempotency key and record the outcome. The charge gate runs first, under the loan's lock,
    in the transaction that claims the call: a payment the loan can no longer take, from a
    method no longer usable, or by a payer who lost access, ends CANCELLED with the reason and
    the processor is never called. Safe to call again: a settled outcome is never charged twice."""
    now = now or timezone.now()
    with transaction.atomic():
        loan, payment = payment_for_update(payment_id)
        if payment.status == S.SCHEDULED:
            transition(payment, S.SUBMITTING, actor_label=actor_label)
        if payment.status != S.SUBMITTING or payment.submitted_at is not None:
            # Resolved, or another request or worker has claimed the processor call; a claim
            # left by a crash is the recovery sweep's to resolve (payment_recover).
            return payment
        refusal = charge_refusal(
            loan=loan,
            method=payment.method,
            payer=payment.payer,
            amount=payment.amount,
            principal_only=payment.principal_only,
            effective=payment.effective_date,
            on=business_date(loan.lender, now),
            exclude_payment_id=payment.pk,
        )
        if refusal is not None:
            payment_cancel_refused(
                payment,
                reason=refusal.message,
                refused=refusal.code,
                actor_label=actor_label,
                detail={"reason": refusal.message},
            )
            return payment
        payment.submitted_at = now
        payment.save(update_fields=["submitted_at", "updated_at"])
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


def payment_record_result(*, payment_id: int, result: ChargeResult, actor_label: str) -> Payment:
    """Apply the processor's answer: decline, or post to the loan (card: POSTED; bank: PENDING
    until it settles). Money the loan cannot take any more (paid down since the gate let the
    charge through, or a payoff quote paid above the payoff on its date) is never left as
    posted: what fits is posted, the rest is recorded as unapplied in the same transaction and
    refunded through the processor under its own key right after (refunds.py). Idempotent: an
    already-resolved payment is returned unchanged."""
    with transaction.atomic():
        loan, payment = payment_for_update(payment_id)
        if payment.status not in Payment.IN_FLIGHT_STATUSES:
            return payment
        payment.processor_ref = result.processor_ref
        if result.status == ChargeStatus.FAILED:
            payment.decline_code = result.decline_code
            transition(
                payment,
                S.FAILED,
                actor_label=actor_label,
                fields=("processor_ref", "decline_code"),
                detail={"decline_code": result.decline_code},
            )
            payment_notice_queue(payment, "failed")
            return payment
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
        else:
            posting = loan_post_payment(
                loan_id=payment.loan_id,
                amount=applied,
                effective_date=payment.effective_date,
                principal_only=payment.principal_only,
                payoff=payment.is_payoff,
                idempotency_key=f"payment:{payment.pk}",
                external_ref=f"payment:{payment.pk}",
                actor=payment.payer,
                actor_label=f"payment:{payment.reference}",
            )
            payment.loan_posting_id = posting.pk
            to = S.PENDING if result.status == ChargeStatus.PENDING else S.POSTED
            transition(
                payment,
                to,
                actor_label=actor_label,
                fields=("processor_ref", "loan_posting_id", "unapplied_amount"),
                detail=detail,
            )
            payment_notice_queue(payment, "received")
            loan_paid_off_followups(loan_id=payment.loan_id, paid_by=payment)
    if payment.unapplied_amount:
        from .refunds import payment_refund_unapplied

        return payment_refund_unapplied(payment_id=payment.pk)
    return payment


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


def payment_recover(*, payment_id: int) -> Payment:
    """Recovery sweep, for a payment stuck in SUBMITTING (its worker died) or UNKNOWN (no
    answer). Ask the processor by idempotency key: found, record that outcome; not found, the
    processor never took it, so send it again under the same key (never a new one)."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status not in Payment.IN_FLIGHT_STATUSES:
        return payment
    result = get_gateway().fetch_charge(payment.idempotency_key)
    if result is not None:
        return payment_record_result(
            payment_id=payment_id, result=result, actor_label="system:recovery"
        )
    with transaction.atomic():
        payment = payment_row_for_update(payment_id)
        if payment.status not in Payment.IN_FLIGHT_STATUSES:
            return payment
        if payment.status == S.UNKNOWN:
            transition(
                payment,
                S.SUBMITTING,
                actor_label="system:recovery",
                detail={"retry": "processor has no record of this key"},
            )
        payment.submitted_at = None  # release the dead claim
        payment.save(update_fields=["submitted_at", "updated_at"])
    return payment_charge(payment_id=payment_id, actor_label="system:recovery")
