"""Adding, verifying, choosing and removing payment methods."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone
from django.utils.crypto import salted_hmac

from accounts.activity import activity_record
from accounts.models import AccountEvent

from ..errors import BankAccountLocked, MethodNotUsable, PaymentError
from ..gateways import get_gateway
from ..gateways.base import BankAccountInput, CardInput
from ..lock_objects import method_for_update
from ..models import BankVerificationAttempts, Payment, PaymentMethod
from ..selectors import method_live_plans, method_waiting_payments
from .refusals import payment_cancel_refused

# Wrong micro-deposit tries per borrower and bank account, across remove/re-add (NACHA's
# account validation must not be guessable): the third locks that account for that borrower.
MAX_VERIFICATION_ATTEMPTS = 3
VERIFICATION_LOCK = dt.timedelta(hours=24)
_FINGERPRINT_SALT = "payments.bank-account-fingerprint"


def bank_account_fingerprint(routing_number: str, account_number: str) -> str:
    """A keyed HMAC-SHA256 (hex) naming one bank account without storing its number."""
    value = f"{routing_number}:{account_number}"
    return salted_hmac(_FINGERPRINT_SALT, value, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class VerificationState:
    tries_left: int
    locked_until: dt.datetime | None  # aware; None when tries are allowed


def _locked_message(until: dt.datetime) -> str:
    when = dateformat.format(timezone.localtime(until), "M j, Y, g:i A")
    return (
        "Too many wrong deposit amounts for this account. For your security, you can add it "
        f"again after {when}."
    )


def _state_of(row: BankVerificationAttempts | None, now: dt.datetime) -> VerificationState:
    if row is None or (row.locked_until is not None and row.locked_until <= now):
        return VerificationState(MAX_VERIFICATION_ATTEMPTS, None)  # never tried, or lock over
    if row.locked_until is not None:
        return VerificationState(0, row.locked_until)
    return VerificationState(max(MAX_VERIFICATION_ATTEMPTS - row.failures, 0), None)


def bank_verification_state(*, method: PaymentMethod, now: dt.datetime) -> VerificationState:
    """How many micro-deposit tries the method's owner has left for this account, or until
    when it is locked."""
    fingerprint = bank_account_fingerprint(method.routing_number, method.account_number)
    row = BankVerificationAttempts.objects.filter(
        owner_id=method.owner_id, fingerprint=fingerprint
    ).first()
    return _state_of(row, now)


def _becomes_default(owner) -> bool:
    return (
        owner is not None
        and not PaymentMethod.objects.filter(
            owner=owner, is_default=True, removed_at__isnull=True
        ).exists()
    )


def _added(method: PaymentMethod) -> PaymentMethod:
    """Save a new method and record it on the owner's activity page (guests have none)."""
    with transaction.atomic():
        method.save()
        activity_record(user=method.owner, kind=AccountEvent.Kind.METHOD_ADDED, detail=method.label)
    return method


def payment_method_add_card(*, owner, card: CardInput, idempotency_key: str) -> PaymentMethod:
    """Tokenize at the processor; keep only the token and display facts (never number or CVC)."""
    token = get_gateway().tokenize_card(card, idempotency_key=idempotency_key)
    return _added(
        PaymentMethod(
            owner=owner,
            kind=PaymentMethod.Kind.CARD,
            processor_token=token.token,
            last4=token.last4,
            brand=token.brand,
            exp_month=token.exp_month,
            exp_year=token.exp_year,
            funding=token.funding,
            is_default=_becomes_default(owner),
        )
    )


def payment_method_add_bank(
    *, owner, account: BankAccountInput, idempotency_key: str
) -> PaymentMethod:
    """Register a bank account. A borrower whose micro-deposit tries for this account are
    locked is refused before the processor is asked (BankAccountLocked)."""
    if owner is not None:
        fingerprint = bank_account_fingerprint(account.routing_number, account.account_number)
        row = BankVerificationAttempts.objects.filter(owner=owner, fingerprint=fingerprint).first()
        state = _state_of(row, timezone.now())
        if state.locked_until is not None:
            raise BankAccountLocked(_locked_message(state.locked_until))
    token = get_gateway().register_bank_account(account, idempotency_key=idempotency_key)
    return _added(
        PaymentMethod(
            owner=owner,
            kind=PaymentMethod.Kind.BANK,
            processor_token=token.token,
            last4=token.last4,
            holder_name=account.holder_name,
            routing_number=account.routing_number,
            account_number=account.account_number,  # encrypted by the field
            account_type=account.account_type,
            is_default=_becomes_default(owner),
        )
    )


def _attempts_row_locked(owner_id: int, fingerprint: str) -> BankVerificationAttempts:
    try:
        with transaction.atomic():
            BankVerificationAttempts.objects.get_or_create(
                owner_id=owner_id, fingerprint=fingerprint
            )
    except IntegrityError:  # a concurrent first try created it
        pass
    return BankVerificationAttempts.objects.select_for_update().get(
        owner_id=owner_id, fingerprint=fingerprint
    )


def payment_method_verify_bank(*, method: PaymentMethod, amounts: tuple[Decimal, Decimal]) -> bool:
    """Micro-deposit check. Wrong tries count per owner and account fingerprint, whatever
    method row they came through; the third locks the account for VERIFICATION_LOCK
    (BankAccountLocked), a right answer clears the count."""
    now = timezone.now()
    with transaction.atomic():
        method = method_for_update(method.pk)
        if method.verified_at is not None:
            return True
        fingerprint = bank_account_fingerprint(method.routing_number, method.account_number)
        row = _attempts_row_locked(method.owner_id, fingerprint)
        if row.locked_until is not None and row.locked_until <= now:  # the lock is over
            row.failures, row.locked_until = 0, None
        if row.locked_until is not None:
            raise BankAccountLocked(_locked_message(row.locked_until))
        if get_gateway().verify_micro_deposits(method.processor_token, amounts):
            method.verified_at = now
            method.save(update_fields=["verified_at", "updated_at"])
            row.failures = 0
            row.save(update_fields=["failures", "locked_until", "updated_at"])
            return True
        method.verification_attempts += 1
        method.save(update_fields=["verification_attempts", "updated_at"])
        row.failures += 1
        if row.failures >= MAX_VERIFICATION_ATTEMPTS:
            row.locked_until = now + VERIFICATION_LOCK
        row.save(update_fields=["failures", "locked_until", "updated_at"])
        return False


def payment_method_set_default(*, method: PaymentMethod) -> PaymentMethod:
    if not method.is_usable:
        raise MethodNotUsable("This method can't be used, so it can't be the default.")
    with transaction.atomic():
        PaymentMethod.objects.filter(owner=method.owner_id, is_default=True).update(
            is_default=False
        )
        method.is_default = True
        method.save(update_fields=["is_default", "updated_at"])
    return method


def payment_method_remove(*, method: PaymentMethod, actor=None) -> list[Payment]:
    """Soft-remove a method (payments keep pointing at it). Refused while a live autopay plan
    pays with it (the borrower switches the plan first). Its scheduled and held one-time
    payments are cancelled with it, each payer told; returns them."""

    with transaction.atomic():
        method = method_for_update(method.pk)
        if method_live_plans(method).exists():
            raise PaymentError(
                "Autopay uses this method. Switch autopay to another method first, then remove it."
            )
        cancelled = list(
            method_waiting_payments(method).select_for_update(of=("self",)).order_by("pk")
        )
        for payment in cancelled:
            payment_cancel_refused(
                payment,
                reason=f"{method.label} was removed, so this payment was cancelled. "
                "Nothing was charged.",
                refused="method",
                actor=actor,
                actor_label="method_removed",
            )
        method.removed_at = timezone.now()
        method.is_default = False
        method.save(update_fields=["removed_at", "is_default", "updated_at"])
        activity_record(
            user=method.owner, kind=AccountEvent.Kind.METHOD_REMOVED, detail=method.label
        )
    return cancelled
