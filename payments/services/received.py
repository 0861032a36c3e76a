"""Money received outside the portal — a check or money order, a wire, a cash network
(MoneyGram, Western Union, PayNearMe) or a lockbox line — recorded by staff or a remittance
file. The money is already in hand, so there is no processor call: the payment is created
POSTED ('' → POSTED, events.ALLOWED) and applied through `loan_post_payment` in the same
transaction, like any payment. What the loan cannot take (above the payoff, or a closed loan)
is held in suspense (suspense.py), never posted. Whether a receipt is already on the books
is receipts.py; a check that comes back unpaid, returned_checks.py."""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from ismartpay.core.money import is_cents
from ismartpay.core.today import business_date
from loans import lock_objects as loan_locks
from loans.models import Loan
from loans.services import loan_post_payment

from ..errors import AlreadyRecorded, AmountNotAllowed, DateNotAllowed, PaymentError
from ..models import Payment, SuspenseItem
from ..models.payment import GATEWAY_CHANNELS
from ..notifications import payment_notice_queue
from .events import record_created
from .gate import applicable_amount
from .payoff import loan_paid_off_followups
from .receipts import receipt_on_books, recorded_as
from .submission import new_reference

S = Payment.Status
C = Payment.Channel
IN_HAND_CHANNELS = tuple(c for c in C if c not in GATEWAY_CHANNELS)
# How the channel's reference reads on the borrower's history and receipt.
_LABELS = {
    C.CHECK: "Check #{}",
    C.MONEY_ORDER: "Money order #{}",
    C.WIRE: "Wire {}",
    C.MONEYGRAM: "MoneyGram {}",
    C.WESTERN_UNION: "Western Union {}",
    C.PAYNEARME: "PayNearMe {}",
    C.LOCKBOX: "Lockbox {}",
}
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./#-]{0,39}$")
# How far back recorded money may be dated, in days before the lender's business date.
# Backdating moves interest: a payment counts on its effective date, so an old date takes
# interest off the loan that it did accrue (and can turn a late installment into an on-time
# one). 60 days is two statement cycles: longer than a check takes to reach us and be
# recorded; anything older is a typo or needs an adjustment a supervisor approves instead.
BACKDATE_MAX_DAYS = 60


@dataclass(frozen=True)
class Received:
    """What recording money did: the payment posted (None when the loan could take nothing)
    and the suspense item holding what it could not take (None when it took all)."""

    payment: Payment | None
    suspense: SuspenseItem | None


def received_label(channel: str, reference: str) -> str:
    return _LABELS.get(channel, "{}").format(reference)[:60]


def clean_reference(reference: str) -> str:
    reference = (reference or "").strip()
    if not _REFERENCE.match(reference):
        raise PaymentError(
            "Give the reference as printed (check number, wire or receipt number): letters, "
            "digits, spaces and . / # -, at most 40 characters."
        )
    return reference


def check_amount(amount) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise AmountNotAllowed("Enter the amount in dollars and cents, e.g. 250.00.")
    if amount <= 0 or not is_cents(amount):
        raise AmountNotAllowed("Enter a positive amount in dollars and cents, e.g. 250.00.")
    return amount


def effective_date_check(*, effective_date: dt.date, today: dt.date, loan: Loan | None) -> None:
    """The one rule for the date recorded money counts on: not after the lender's business date
    `today` (the money is in hand), not more than BACKDATE_MAX_DAYS before it, and not before
    the loan's contract date (when the loan is known). Raises DateNotAllowed."""
    if effective_date > today:
        raise DateNotAllowed("The money is already in hand: the date can't be in the future.")
    earliest = today - dt.timedelta(days=BACKDATE_MAX_DAYS)
    if effective_date < earliest:
        raise DateNotAllowed(
            f"The date can be at most {BACKDATE_MAX_DAYS} days back (not before {earliest}): "
            "backdating moves interest. Ask a supervisor for an adjustment instead."
        )
    if loan is not None and effective_date < loan.contract_date:
        raise DateNotAllowed(f"The date is before the loan began ({loan.contract_date}).")


def received_check(
    *,
    channel: str,
    amount,
    reference: str,
    effective_date: dt.date,
    today: dt.date,
    loan: Loan | None,
    key: str = "",
) -> tuple[Decimal, str]:
    """Refuse what can never be recorded (also before a four-eyes request is made for it);
    `today` is the loan's lender's business date; `key` the recording's own idempotency key
    (default: the hand key, `received_key`), whose replay is not a second receipt. Returns the
    amount and the cleaned reference."""
    if channel not in IN_HAND_CHANNELS:
        raise PaymentError("Choose how the money came: check, money order, wire or cash network.")
    amount = check_amount(amount)
    reference = clean_reference(reference)
    effective_date_check(effective_date=effective_date, today=today, loan=loan)
    if loan is not None:
        key = key or received_key(channel=channel, loan_id=loan.pk, reference=reference)
        earlier = receipt_on_books(
            loan=loan,
            channel=channel,
            reference=reference,
            amount=amount,
            effective_date=effective_date,
            except_key=key,
        )
        if earlier is not None:
            raise AlreadyRecorded(
                f"{received_label(channel, reference)} for ${amount:,.2f} on {effective_date} "
                f"is already on the books for this loan: {recorded_as(earlier)}.",
                record=earlier,
            )
    return amount, reference


def received_key(*, channel: str, loan_id: int, reference: str) -> str:
    """The same check (channel, loan, reference) recorded twice is one payment."""
    return f"received:{channel}:{loan_id}:{reference}"


def payment_record_received(
    *,
    loan_id: int,
    channel: str,
    amount: Decimal,
    effective_date: dt.date,
    reference: str,
    actor,
    reason: str = "",
    idempotency_key: str = "",
    source: str = Payment.Source.STAFF,
    today: dt.date | None = None,
) -> Received:
    """Record money received in hand for a loan and apply it on `effective_date`. Idempotent:
    the key defaults to `received:<channel>:<loan>:<reference>`, so the same check recorded
    twice is one payment. `today` defaults to the loan's lender's business date; the date is
    bounded by `effective_date_check`. Audited (`payment.record_received`)."""
    # One transaction, read top to bottom: lock, check, replay, record, audit — kept whole.
    with transaction.atomic():
        loan = loan_locks.loan_for_update(loan_id)
        amount, reference = received_check(
            channel=channel,
            amount=amount,
            reference=reference,
            effective_date=effective_date,
            today=today or business_date(loan.lender),
            loan=loan,
            key=idempotency_key,
        )
        key = idempotency_key or received_key(channel=channel, loan_id=loan_id, reference=reference)
        replay = _replay(key)
        if replay is not None:
            return replay
        result = record_in_hand(
            loan=loan,
            key=key,
            amount=amount,
            effective_date=effective_date,
            channel=channel,
            reference=reference,
            source=source,
            actor=actor,
            note=reason,
        )
        audit_record(
            actor=actor,
            action="payment.record_received",
            target=result.payment or result.suspense,
            reason=reason,
            details={
                "loan": loan.loan_number,
                "channel": channel,
                "reference": reference,
                "amount": str(amount),
                "effective_date": effective_date.isoformat(),
                "suspense": str(result.suspense.amount) if result.suspense else "0.00",
            },
        )
        return result


def _replay(key: str) -> Received | None:
    payment = Payment.objects.filter(idempotency_key=key).first()
    if payment is not None:
        return Received(payment, payment.suspense.order_by("pk").first())
    item = SuspenseItem.objects.filter(idempotency_key=key).first()
    return Received(None, item) if item is not None else None


def record_in_hand(
    *,
    loan: Loan,
    key: str,
    amount: Decimal,
    effective_date: dt.date,
    channel: str,
    reference: str,
    source: str,
    actor,
    note: str = "",
    like: Payment | None = None,
    suspense_reason: str = SuspenseItem.Reason.OVERPAYMENT,
) -> Received:
    """Inside a transaction with `loan` locked: create the POSTED payment for what the loan can
    take and post it; hold the rest in suspense. `like` is the payment the money first came
    with (moving it, or applying it from suspense): its method and processor reference carry
    over, so a later refund of gateway money still goes back through the processor."""
    from .suspense import suspense_hold

    held = dict(  # where any part held in suspense came from, and who held it
        channel=channel,
        reference=reference,
        received_on=effective_date,
        lender_id=loan.lender_id,
        loan=loan,
        actor=actor,
        note=note,
    )
    fits = applicable_amount(loan, amount=amount, effective=effective_date)
    if fits == 0:
        closed = SuspenseItem.Reason.LOAN_CLOSED
        reason = suspense_reason if suspense_reason == SuspenseItem.Reason.MOVED else closed
        item = suspense_hold(key=key, amount=amount, reason=reason, payment=like, **held)
        return Received(None, item)
    return _post_fits_then_hold_the_rest(
        loan=loan,
        key=key,
        amount=amount,
        fits=fits,
        effective_date=effective_date,
        channel=channel,
        reference=reference,
        source=source,
        actor=actor,
        like=like,
        suspense_reason=suspense_reason,
        held=held,
    )


def _post_fits_then_hold_the_rest(
    *,
    loan: Loan,
    key: str,
    amount: Decimal,
    fits: Decimal,
    effective_date: dt.date,
    channel: str,
    reference: str,
    source: str,
    actor,
    like: Payment | None,
    suspense_reason: str,
    held: dict,
) -> Received:
    """record_in_hand when the locked loan takes `fits` (> 0) of `amount`: the POSTED payment,
    its posting, the rest held in suspense, then the notice and the payoff follow-ups."""
    from .suspense import suspense_hold

    gateway = like is not None and like.through_gateway
    payment = _create_posted_payment(
        loan=loan,
        key=key,
        amount=amount,
        fits=fits,
        effective_date=effective_date,
        channel=channel,
        reference=reference,
        source=source,
        like=like if gateway else None,
        payer_email=(like.payer_email if like else "") or _borrower_email(loan),
    )
    _post_what_fits(payment, fits=fits, actor=actor)
    item = None
    if fits < amount:
        item = suspense_hold(
            key=f"payment:{payment.pk}",
            amount=amount - fits,
            reason=suspense_reason,
            payment=like if gateway else payment,
            **held,
        )
    if payment.payer_email:
        payment_notice_queue(payment, "received")
    loan_paid_off_followups(loan_id=loan.pk, paid_by=payment)
    return Received(payment, item)


def _create_posted_payment(
    *,
    loan: Loan,
    key: str,
    amount: Decimal,
    fits: Decimal,
    effective_date: dt.date,
    channel: str,
    reference: str,
    source: str,
    like: Payment | None,
    payer_email: str,
) -> Payment:
    """The POSTED payment row for money in hand; what the loan cannot take (`amount - fits`)
    is its unapplied part. `like` is the gateway payment the money first came with, if any:
    its method and processor reference carry over."""
    return Payment.objects.create(
        reference=new_reference(),
        idempotency_key=key,
        loan=loan,
        payer=None,
        payer_email=payer_email,
        method=like.method if like else None,
        method_kind=like.method_kind if like else "",
        method_label=like.method_label if like else received_label(channel, reference),
        processor_ref=like.processor_ref if like else "",
        source=source,
        channel=channel,
        channel_reference=reference,
        amount=amount,
        unapplied_amount=amount - fits,
        scheduled_for=effective_date,
        effective_date=effective_date,
        status=S.POSTED,
        submitted_at=timezone.now(),
    )


def _post_what_fits(payment: Payment, *, fits: Decimal, actor) -> None:
    """Post `fits` of `payment` to its (locked) loan's ledger, link the posting and record the
    payment's creation."""
    posting = loan_post_payment(
        loan_id=payment.loan_id,
        amount=fits,
        effective_date=payment.effective_date,
        idempotency_key=f"payment:{payment.pk}",
        external_ref=f"payment:{payment.pk}",
        actor=actor,
        actor_label=f"payment:{payment.reference}",
    )
    payment.loan_posting_id = posting.pk
    payment.save(update_fields=["loan_posting_id", "updated_at"])
    record_created(payment, actor=actor, actor_label="staff" if actor else "system:remittance")


def _borrower_email(loan: Loan) -> str:
    owner = loan.links.filter(role="borrower").select_related("user").order_by("pk").first()
    return owner.user.email if owner is not None else loan.borrower_email
