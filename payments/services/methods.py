"""Adding, verifying, choosing and removing payment methods."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ..errors import MethodNotUsable, PaymentError
from ..gateways import get_gateway
from ..gateways.base import BankAccountInput, CardInput
from ..models import Payment, PaymentMethod
from ..selectors import method_live_plans, method_waiting_payments

MAX_VERIFICATION_ATTEMPTS = 3


def _becomes_default(owner) -> bool:
    return (
        owner is not None
        and not PaymentMethod.objects.filter(
            owner=owner, is_default=True, removed_at__isnull=True
        ).exists()
    )


def payment_method_add_card(*, owner, card: CardInput, idempotency_key: str) -> PaymentMethod:
    """Tokenize at the processor; keep only the token and display facts (never number or CVC)."""
    token = get_gateway().tokenize_card(card, idempotency_key=idempotency_key)
    return PaymentMethod.objects.create(
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


def payment_method_add_bank(
    *, owner, account: BankAccountInput, idempotency_key: str
) -> PaymentMethod:
    token = get_gateway().register_bank_account(account, idempotency_key=idempotency_key)
    return PaymentMethod.objects.create(
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


def payment_method_verify_bank(*, method: PaymentMethod, amounts: tuple[Decimal, Decimal]) -> bool:
    """Micro-deposit check; a few wrong tries lock it (add the account again to restart)."""
    with transaction.atomic():
        method = PaymentMethod.objects.select_for_update().get(pk=method.pk)
        if method.verified_at is not None:
            return True
        if method.verification_attempts >= MAX_VERIFICATION_ATTEMPTS:
            raise PaymentError("Too many wrong amounts. Remove this account and add it again.")
        if get_gateway().verify_micro_deposits(method.processor_token, amounts):
            method.verified_at = timezone.now()
            method.save(update_fields=["verified_at", "updated_at"])
            return True
        method.verification_attempts += 1
        method.save(update_fields=["verification_attempts", "updated_at"])
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
    from ..notifications import payment_notice_queue
    from .events import transition

    with transaction.atomic():
        method = PaymentMethod.objects.select_for_update().get(pk=method.pk)
        if method_live_plans(method).exists():
            raise PaymentError(
                "Autopay uses this method. Switch autopay to another method first, then remove it."
            )
        cancelled = list(
            method_waiting_payments(method).select_for_update(of=("self",)).order_by("pk")
        )
        for payment in cancelled:
            payment.status_reason = (
                f"{method.label} was removed, so this payment was cancelled. Nothing was charged."
            )
            transition(
                payment,
                Payment.Status.CANCELLED,
                actor=actor,
                actor_label="method_removed",
                fields=("status_reason",),
                detail={"refused": "method"},
            )
            payment_notice_queue(payment, "cancelled")
        method.removed_at = timezone.now()
        method.is_default = False
        method.save(update_fields=["removed_at", "is_default", "updated_at"])
    return cancelled
