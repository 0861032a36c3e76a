"""Taking a payment: create the row (idempotency key committed first), call the processor,
record the outcome, post it to the loan. Safe under double submit and concurrent requests."""

import datetime as dt
import logging
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from loans import lock_objects as loan_locks
from loans.allocation import AllocationError, payoff_amount
from loans.selectors import loan_balances_on
from loans.services import loan_post_payment

from ..errors import AmountNotAllowed, DuplicateSuspected, MethodNotUsable
from ..gateways import get_gateway
from ..gateways.base import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    GatewayError,
    OutcomeUnknown,
    TemporaryGatewayError,
)
from ..models import Payment, PaymentMethod
from ..notifications import payment_notice_queue
from ..risk import risk_flags
from ..timing import effective_date_for, effective_date_for_scheduled
from .events import record_created, transition

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
    confirm_duplicate: bool = False,
    source: str = Payment.Source.ONE_TIME,
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
        extra={"is_payoff": is_payoff, "authorization_text": authorization_text},
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
            today = business_date or timezone.localdate(now)
            later = scheduled_for is not None and scheduled_for > today
            if business_date is not None and not later:
                effective = business_date
            elif later:
                effective = effective_date_for_scheduled(scheduled_for)
            else:
                effective = effective_date_for(
                    now=now, lender_tz=loan.lender.timezone, cutoff=loan.lender.cutoff_time
                )
            _check_method(method, payer=payer, on=today)
            _check_amount(loan, amount, effective, principal_only)
            if not confirm_duplicate:
                _check_duplicate(loan_id, amount, now)
            flags = risk_flags(loan=loan, method=method, amount=amount, payer=payer, now=now)
            fee = loan.lender.card_convenience_fee if method.kind == PaymentMethod.Kind.CARD else 0
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
            from loans.permissions import is_third_party

            if is_third_party(actor_label):  # actor_label is the payer's role on the loan
                payment_notice_queue(payment, "third_party_paid")  # the owners are told
            if flags:
                payment_notice_queue(payment, "held")
            return payment
    except IntegrityError:
        # The same key committed by a concurrent request: that request owns the charge.
        return Payment.objects.get(idempotency_key=idempotency_key)


def _check_method(method: PaymentMethod, *, payer, on: dt.date) -> None:
    if not method.is_usable:
        raise MethodNotUsable(f"{method.label} can no longer be used. Choose another method.")
    if method.is_expired(on=on):
        raise MethodNotUsable(f"{method.label} has expired. Add the new card or choose another.")
    if method.needs_verification:
        raise MethodNotUsable(
            f"Confirm the two small deposits we sent to {method.label} before paying from it."
        )
    if payer is not None and method.owner_id != payer.pk:
        raise MethodNotUsable("Choose one of your own payment methods.")


def _check_amount(loan, amount: Decimal, effective: dt.date, principal_only: bool) -> None:
    balances = loan_balances_on(loan, effective)
    ceiling = balances.principal if principal_only else payoff_amount(balances)
    if amount <= 0:
        raise AmountNotAllowed("Enter an amount of at least $0.01.")
    if amount > ceiling:
        what = "principal balance" if principal_only else "payoff amount"
        raise AmountNotAllowed(f"The most you can pay is the {what}, ${ceiling:,}.")


def _check_duplicate(loan_id: int, amount: Decimal, now: dt.datetime) -> None:
    recent = Payment.objects.filter(
        loan_id=loan_id, amount=amount, created_at__gte=now - DUPLICATE_WINDOW
    ).exclude(status__in=[S.FAILED, S.CANCELLED])
    if recent.exists():
        raise DuplicateSuspected(
            f"A payment of ${amount:,} was made on this loan in the last 10 minutes. "
            "Is this a second payment?"
        )


def payment_charge(*, payment_id: int, actor_label: str = "system") -> Payment:
    """Send a SUBMITTING payment to the processor under its stored idempotency key and record
    the outcome. Safe to call again: a settled outcome is never charged twice."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("method").get(pk=payment_id)
        if payment.status == S.SCHEDULED:
            transition(payment, S.SUBMITTING, actor_label=actor_label)
        if payment.status != S.SUBMITTING or payment.submitted_at is not None:
            # Resolved, or another request or worker has claimed the processor call; a claim
            # left by a crash is the recovery sweep's to resolve (payment_recover).
            return payment
        payment.submitted_at = timezone.now()
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
    until it settles). Idempotent: an already-resolved payment is returned unchanged."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status not in (S.SUBMITTING, S.UNKNOWN):
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
        detail = {}
        try:
            posting = loan_post_payment(
                loan_id=payment.loan_id,
                amount=payment.amount,
                effective_date=payment.effective_date,
                principal_only=payment.principal_only,
                payoff=payment.is_payoff,
                idempotency_key=f"payment:{payment.pk}",
                external_ref=f"payment:{payment.pk}",
                actor=payment.payer,
                actor_label=f"payment:{payment.reference}",
            )
            payment.loan_posting_id = posting.pk
            if posting.unapplied:
                # A payoff quote paid above the payoff on its date: the excess is owed back.
                detail = {"needs_review": f"refund unapplied ${posting.unapplied}"}
        except AllocationError as exc:
            # Captured money the loan can no longer take (paid down meanwhile): staff refunds.
            detail = {"needs_review": f"not posted: {exc}"}
            logger.error("payment %s captured but not posted: %s", payment.reference, exc)
        to = S.PENDING if result.status == ChargeStatus.PENDING else S.POSTED
        transition(
            payment,
            to,
            actor_label=actor_label,
            fields=("processor_ref", "loan_posting_id"),
            detail=detail,
        )
        payment_notice_queue(payment, "received")
    return payment


def _record_failure(payment_id: int, *, decline_code: str) -> Payment:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status in (S.SUBMITTING, S.UNKNOWN):
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
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status == S.SUBMITTING:
            transition(payment, S.UNKNOWN, actor_label="processor", detail={"reason": reason})
    return payment


def payment_recover(*, payment_id: int) -> Payment:
    """Recovery sweep, for a payment stuck in SUBMITTING (its worker died) or UNKNOWN (no
    answer). Ask the processor by idempotency key: found, record that outcome; not found, the
    processor never took it, so send it again under the same key (never a new one)."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status not in (S.SUBMITTING, S.UNKNOWN):
        return payment
    result = get_gateway().fetch_charge(payment.idempotency_key)
    if result is not None:
        return payment_record_result(
            payment_id=payment_id, result=result, actor_label="system:recovery"
        )
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status not in (S.SUBMITTING, S.UNKNOWN):
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
