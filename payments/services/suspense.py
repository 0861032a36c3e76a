"""Suspense (unapplied funds): holding money no loan could take, and the staff actions that
clear it — apply to a loan, move a misapplied payment, refund. Each action locks the item,
appends a SuspenseAction, changes `balance` and writes an audit row, in one transaction.

A payoff paid above the quote through the processor is not held here: it is refunded at once
(refunds.payment_refund_unapplied). Suspense holds money received in hand (checks, wires,
cash networks, remittance lines) and gateway money left over after moving a payment."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat

from accounts.audit import audit_record
from ismartpay.core.money import ZERO
from ismartpay.core.today import business_date
from loans import lock_objects as loan_locks

from ..errors import AmountNotAllowed, PaymentError
from ..gateways import get_gateway
from ..gateways.base import GatewayError
from ..lock_objects import payment_row_for_update
from ..models import Payment, SuspenseAction, SuspenseItem
from .gate import applicable_amount
from .ownership import money_lender_check
from .received import Received, check_amount, clean_reference, record_in_hand

A = SuspenseAction.Kind
S = Payment.Status
# Idempotency-key prefixes of the payments these actions create. Such a payment carries money
# received earlier (held, or posted to the wrong loan): it is not new money.
APPLY_KEY_PREFIX = "suspense:"
MOVE_KEY_PREFIX = "move:"
REVERSED_KEY_PREFIX = "reversed:"  # a reversed payment's money (lifecycle.payment_reverse)


def not_new_money() -> Q:
    """Payments that re-post money received before (applied from suspense, or moved): the
    staff dashboard leaves them out of "today's payments" (ismartpay/staff_dashboard.py)."""
    return Q(idempotency_key__startswith=APPLY_KEY_PREFIX) | Q(
        idempotency_key__startswith=MOVE_KEY_PREFIX
    )


def held_whole_on_receipt() -> Q:
    """For a SuspenseItem queryset: money held whole the day it arrived, with no payment that
    brought it (a remittance line for no known loan, money for a closed loan). It is new money
    on the day received (the staff dashboard counts it): an item with a payment is that
    payment's excess, counted with the payment, and one held by a move or an apply re-holds
    money received before (`not_new_money`)."""
    return Q(payment__isnull=True) & ~not_new_money()


def moved_away() -> Q:
    """For a Payment queryset: the payment was moved to another loan (reversed here, its money
    re-posted or held under `move:<its id>`). Its money was still received: it counts once,
    as this payment, on the dashboard."""
    key = Concat(Value(MOVE_KEY_PREFIX), Cast(OuterRef("pk"), output_field=CharField()))
    return Q(Exists(Payment.objects.filter(idempotency_key=key))) | Q(
        Exists(SuspenseItem.objects.filter(idempotency_key=key))
    )


def moved_to(payment: Payment) -> Payment | None:
    """The payment a move posted on the right loan for `payment` (under `move:<its id>`), if
    any: the copy that now carries its money (a move held whole in suspense made none)."""
    if payment.status != S.REVERSED:  # a move reverses the original
        return None
    key = f"{MOVE_KEY_PREFIX}{payment.pk}"
    return Payment.objects.select_related("loan").filter(idempotency_key=key).first()


def _require_reason(reason: str) -> str:
    if not reason or len(reason.strip()) < 10:
        raise PaymentError("Give a reason of at least 10 characters; it goes into the audit log.")
    return reason.strip()


def suspense_hold(
    *,
    key: str,
    amount: Decimal,
    reason: str,
    channel: str,
    reference: str,
    received_on: dt.date,
    lender_id: int,
    loan=None,
    payment: Payment | None = None,
    actor=None,
    note: str = "",
) -> SuspenseItem:
    """Put money in suspense (inside the caller's transaction), held for lender `lender_id`
    (the one that received it). Idempotent by `key`."""
    item, created = SuspenseItem.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "amount": amount,
            "balance": amount,
            "reason": reason,
            "channel": channel,
            "reference": reference,
            "received_on": received_on,
            "lender_id": lender_id,
            "loan": loan,
            "payment": payment,
            "note": note[:200],
        },
    )
    if created:
        SuspenseAction.objects.create(
            item=item, kind=A.RECEIVED, amount=amount, loan=loan, actor=actor, reason=note
        )
    return item


def suspense_hold_reversed(*, payment: Payment, loan, actor, reason: str) -> SuspenseItem | None:
    """A reversed payment's money the lender holds: what reached the loan (its applied amount;
    an excess was held or refunded when it was posted) is held under `reversed:<payment>`, for
    the loan's lender, with the payment (gateway money is refunded through the processor).
    Inside the caller's transaction (lifecycle.payment_reverse). None when nothing reached the
    loan."""
    if not payment.loan_posting_id or payment.applied_amount <= ZERO:
        return None
    return suspense_hold(
        key=f"{REVERSED_KEY_PREFIX}{payment.pk}",
        amount=payment.applied_amount,
        reason=SuspenseItem.Reason.REVERSED,
        channel=payment.channel,
        reference=payment.channel_reference or payment.reference,
        received_on=payment.effective_date,
        lender_id=loan.lender_id,
        loan=loan,
        payment=payment,
        actor=actor,
        note=f"Reversal: {reason}",
    )


def _item_for_update(item_id: int) -> SuspenseItem:
    rows = SuspenseItem.objects.select_for_update(of=("self",)).select_related("payment")
    return rows.get(pk=item_id)


def _take(item: SuspenseItem, amount: Decimal) -> None:
    """Take `amount` out of the locked item's balance, or refuse."""
    amount = check_amount(amount)
    if item.status != SuspenseItem.Status.OPEN or amount > item.balance:
        raise AmountNotAllowed(f"This item holds ${item.balance:,}; use at most that.")
    item.balance -= amount
    if item.balance == ZERO:
        item.status = SuspenseItem.Status.CLEARED
    item.save(update_fields=["balance", "status", "updated_at"])


def suspense_apply(
    *,
    item_id: int,
    loan_id: int,
    amount: Decimal,
    reason: str,
    actor,
    effective_date: dt.date | None = None,
) -> Payment:
    """Apply held money to a loan: a POSTED payment through `loan_post_payment`, never more
    than the loan can take. Audited (`suspense.apply`)."""
    # Kept whole: one transaction, read top to bottom (lock loan then item, check, take,
    # post, record, audit); the checks must stay under the locks.
    reason = _require_reason(reason)
    with transaction.atomic():
        loan = loan_locks.loan_for_update(loan_id)
        item = _item_for_update(item_id)
        money_lender_check(lender_id=item.lender_id, loan=loan)
        effective_date = effective_date or business_date(loan.lender)
        amount = check_amount(amount)
        fits = applicable_amount(loan, amount=amount, effective=effective_date)
        if fits < amount:
            raise AmountNotAllowed(f"This loan can take at most ${fits:,} on {effective_date}.")
        _take(item, amount)
        step = item.actions.count()
        result = record_in_hand(
            loan=loan,
            key=f"{APPLY_KEY_PREFIX}{item.pk}:apply:{step}",
            amount=amount,
            effective_date=effective_date,
            channel=item.channel,
            reference=item.reference or f"S{item.pk}",
            source=Payment.Source.STAFF,
            actor=actor,
            note=reason,
            like=item.payment,
        )
        SuspenseAction.objects.create(
            item=item,
            kind=A.APPLIED,
            amount=amount,
            loan=loan,
            payment=result.payment,
            actor=actor,
            reason=reason,
        )
        audit_record(
            actor=actor,
            action="suspense.apply",
            target=item,
            reason=reason,
            details={
                "amount": str(amount),
                "loan": loan.loan_number,
                "payment": result.payment.reference,
                "balance_after": str(item.balance),
            },
        )
        return result.payment


def suspense_move_payment(*, payment_id: int, to_loan_id: int, reason: str, actor) -> Received:
    """A payment posted to the wrong loan: reverse it there and post what had reached that loan
    on the right one, in one transaction; what the right loan cannot take is held in suspense.
    Audited (`payment.move`)."""
    # Kept whole: one transaction, read top to bottom (lock both loans then the payment,
    # check, reverse, post on the right loan, audit); the checks must stay under the locks.
    from .lifecycle import payment_reverse

    reason = _require_reason(reason)
    with transaction.atomic():
        from_loan_id = Payment.objects.values_list("loan_id", flat=True).get(pk=payment_id)
        if from_loan_id == to_loan_id:
            raise PaymentError("The payment is already on that loan.")
        loans = {loan.pk: loan for loan in loan_locks.loans_for_update([from_loan_id, to_loan_id])}
        original = payment_row_for_update(payment_id)
        if original.status not in (S.POSTED, S.SETTLED):
            raise PaymentError(
                f"This payment is {original.get_status_display().lower()}; only a posted or "
                "settled payment can be moved."
            )
        to_loan = loans[to_loan_id]
        money_lender_check(lender_id=loans[from_loan_id].lender_id, loan=to_loan)
        payment_reverse(  # the money is re-posted (or held) here, under move:<payment>
            payment_id=payment_id,
            reason=f"Moved to loan {to_loan.loan_number}: {reason}",
            actor=actor,
            hold=False,
        )
        result = record_in_hand(
            loan=to_loan,
            key=f"{MOVE_KEY_PREFIX}{original.pk}",
            amount=original.applied_amount,
            effective_date=max(original.effective_date, to_loan.interest_accrued_through),
            channel=original.channel,
            reference=original.channel_reference or original.reference,
            source=original.source,
            actor=actor,
            note=reason,
            like=original,
            suspense_reason=SuspenseItem.Reason.MOVED,
        )
        audit_record(
            actor=actor,
            action="payment.move",
            target=original,
            reason=reason,
            details={
                "from_loan": loans[from_loan_id].loan_number,
                "to_loan": to_loan.loan_number,
                "amount": str(original.applied_amount),
                "new_payment": result.payment.reference if result.payment else "",
                "suspense": str(result.suspense.amount) if result.suspense else "0.00",
            },
        )
        return result


def suspense_refund(
    *, item_id: int, amount: Decimal, reason: str, actor, reference: str = "", send: bool = True
) -> SuspenseAction:
    """Give held money back. Gateway money goes back through the processor (partial refunds
    allowed) under `refund:suspense:<item>:<step>`, the step claimed and committed before the
    call so a retry re-sends the same key; money received in hand is refunded by an outgoing
    check or wire whose `reference` staff record. Audited (`suspense.refund`). `send=False`
    only claims (inside the caller's transaction, e.g. a four-eyes request executing); the
    caller sends after its commit, or the recovery sweep does (`suspense_refund_finish`)."""
    reason = _require_reason(reason)
    with transaction.atomic():
        item = _item_for_update(item_id)
        through_gateway = item.payment is not None and item.payment.through_gateway
        if not through_gateway:
            try:
                reference = clean_reference(reference)
            except PaymentError as exc:
                raise PaymentError(f"Give the outgoing check or wire number. {exc}") from exc
        _take(item, amount)
        step = SuspenseAction.objects.create(
            item=item,
            kind=A.REFUNDING if through_gateway else A.REFUNDED,
            amount=amount,
            refund_reference="" if through_gateway else reference,
            actor=actor,
            reason=reason,
        )
        audit_record(
            actor=actor,
            action="suspense.refund",
            target=item,
            reason=reason,
            details={
                "amount": str(amount),
                "via": "processor" if through_gateway else "outgoing",
                "reference": reference,
                "balance_after": str(item.balance),
            },
        )
    if through_gateway and send:
        return suspense_refund_finish(action_id=step.pk)
    return step


def suspense_refund_finish(*, action_id: int) -> SuspenseAction:
    """Send a claimed gateway refund under its key and record the processor's refund id. Safe
    to call again: the processor answers a repeated key with the same refund."""
    step = SuspenseAction.objects.select_related("item__payment").get(pk=action_id)
    if step.kind != A.REFUNDING:
        return step
    try:
        refund = get_gateway().refund(
            idempotency_key=f"refund:suspense:{step.item_id}:{step.pk}",
            processor_ref=step.item.payment.processor_ref,
            amount=step.amount,
        )
    except GatewayError as exc:
        raise PaymentError(
            "The processor did not confirm the refund yet; retry it from the suspense item."
        ) from exc
    with transaction.atomic():
        step = SuspenseAction.objects.select_for_update().get(pk=action_id)
        if step.kind == A.REFUNDING:
            step.kind = A.REFUNDED
            step.refund_reference = refund.processor_ref
            step.save(update_fields=["kind", "refund_reference"])
    return step


def suspense_void_for_payment(*, payment: Payment, actor, reason: str) -> tuple[Decimal, Decimal]:
    """A returned check never brought its money: void what its suspense items still hold (in
    the caller's transaction). Returns the dollars voided and the dollars not recovered — what
    had already left suspense (applied, moved or refunded) before the bank sent it back, which
    the lender must now collect."""
    voided = ZERO
    items = SuspenseItem.objects.select_for_update().filter(payment=payment)
    held = sum((item.amount for item in items), ZERO)
    for item in items.filter(status=SuspenseItem.Status.OPEN):
        amount = item.balance
        _take(item, amount)
        SuspenseAction.objects.create(
            item=item, kind=A.VOIDED, amount=amount, actor=actor, reason=reason
        )
        voided += amount
    already_voided = SuspenseAction.objects.filter(item__payment=payment, kind=A.VOIDED)
    gone = held - sum((a.amount for a in already_voided), ZERO)
    return voided, gone


def suspense_balance() -> Decimal:
    """Dollars held in suspense now (the admin shows it)."""
    from django.db.models import Sum

    return SuspenseItem.objects.aggregate(total=Sum("balance"))["total"] or ZERO
