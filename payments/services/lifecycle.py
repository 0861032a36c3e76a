"""After a payment is taken: bank settlement and returns, refunds, reversals, cancelling a
scheduled payment. Each one a service; each change recorded as a PaymentEvent."""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from ismartpay.core.today import business_date
from loans.fees import loan_assess_nsf_fee
from loans.models import Loan
from loans.permissions import is_owner, loan_role
from loans.services import loan_reverse_posting

from ..declines import ACH_RETURNS
from ..errors import PaymentError, TooLateToCancel
from ..gateways import get_gateway
from ..gateways.base import SettlementStatus
from ..lock_objects import payment_for_update, payment_row_for_update
from ..models import Payment, PaymentMethod
from ..notifications import payment_notice_queue
from ..timing import lender_local
from .events import paper_return_allowed, transition
from .payoff import loan_reopened_without_autopay

logger = logging.getLogger("ismartpay.payments")
S = Payment.Status


def payment_settle_or_return(*, payment_id: int, on: dt.date) -> Payment:
    """Ask the processor whether a pending bank debit settled or came back; act on it."""
    payment = Payment.objects.select_related("method").get(pk=payment_id)
    if payment.status != S.PENDING:
        return payment
    result = get_gateway().settlement_status(payment.processor_ref, on=on)
    if result.status == SettlementStatus.PENDING:
        return payment
    if result.status == SettlementStatus.SETTLED:
        with transaction.atomic():
            payment = payment_row_for_update(payment_id)
            if payment.status == S.PENDING:
                payment.settled_at = timezone.now()
                transition(payment, S.SETTLED, actor_label="system:settle", fields=("settled_at",))
        if payment.unapplied_amount:  # the part the loan could not take goes back now
            from .refunds import payment_refund_unapplied

            return payment_refund_unapplied(payment_id=payment_id)
        return payment
    return payment_return(payment_id=payment_id, return_code=result.return_code, on=on)


def payment_return(
    *,
    payment_id: int,
    return_code: str,
    on: dt.date,
    actor=None,
    actor_label: str = "system:settle",
) -> Payment:
    """An ACH return, or a posted check or money order the bank sent back unpaid: un-apply the
    posting to the cent, assess the lender's returned-payment fee once, and act on the code
    (disable the account, or suspend autopay). Returning it again changes nothing. When it
    reopens a paid-off loan whose autopay ended at payoff, the borrower's email says the loan
    is open with the amount due and autopay must be set up again (payoff.py)."""
    reason = ACH_RETURNS.get(return_code)
    with transaction.atomic():
        loan, payment = payment_for_update(payment_id)
        was_paid_off = loan.status == Loan.Status.PAID_OFF
        paper = paper_return_allowed(payment)
        if payment.status != S.PENDING and not paper:
            return payment
        # A check reversed before the bank returned it is no longer on the loan: its posting
        # was already un-applied and its money held in suspense (voided by the caller), so the
        # loan is not touched again and owes no returned-payment fee for it.
        if payment.status != S.REVERSED:
            _unapply_returned(
                payment, return_code=return_code, on=on, actor=actor, label=actor_label
            )
        payment.return_code = return_code
        transition(
            payment,
            S.RETURNED,
            actor=actor,
            actor_label=actor_label,
            fields=("return_code",),
            detail={"return_code": return_code},
        )
        if reason is not None and reason.disables_method:
            PaymentMethod.objects.filter(pk=payment.method_id).update(
                disabled_reason=f"{return_code} {reason.title}", is_default=False
            )
        # A paid-off loan open again whose autopay ended at payoff: one email says all of it.
        reopened = loan_reopened_without_autopay(loan_id=payment.loan_id, was_paid_off=was_paid_off)
        payment_notice_queue(payment, "returned_reopened" if reopened else "returned")
    return payment


def _unapply_returned(payment: Payment, *, return_code: str, on: dt.date, actor, label: str):
    """Un-apply a returned payment's posting to the cent and assess the returned-payment fee
    once (inside payment_return's transaction, the loan locked)."""
    if payment.loan_posting_id:
        kind = "Returned check" if paper_return_allowed(payment) else "ACH return"
        loan_reverse_posting(
            posting_id=payment.loan_posting_id,
            reason=f"{kind} {return_code}",
            actor=actor,
            actor_label=label,
        )
    loan_assess_nsf_fee(loan_id=payment.loan_id, external_ref=f"payment:{payment.pk}", on=on)


# A payment whose money the lender holds: received in hand or captured (posted), or a bank
# debit that settled. Reversing one holds what reached the loan in suspense (the money does not
# leave with the posting). A PENDING bank debit is not here: it may still come back (an ACH
# return), so its money has not arrived and reversing it holds nothing.
MONEY_HELD = (S.POSTED, S.SETTLED)


def payment_reverse(*, payment_id: int, reason: str, actor, hold: bool = True) -> Payment:
    """Staff reversal: un-apply a payment from the loan (e.g. posted to the wrong loan). No money
    moves: when the lender holds it (MONEY_HELD) what reached the loan is held in suspense
    (reason `reversed`, key `reversed:<payment>`) to be applied, moved or refunded
    (suspense.suspense_hold_reversed). `hold=False` only for a move, which re-posts the money
    itself (suspense.suspense_move_payment)."""
    from .suspense import suspense_hold_reversed

    with transaction.atomic():
        loan, payment = payment_for_update(payment_id)
        if payment.status not in (*MONEY_HELD, S.PENDING):
            raise PaymentError(
                f"This payment is {payment.get_status_display().lower()}; only a posted, "
                "pending or settled payment can be reversed."
            )
        held = payment.status in MONEY_HELD
        if payment.loan_posting_id:
            loan_reverse_posting(
                posting_id=payment.loan_posting_id,
                reason=f"Reversal: {reason}",
                actor=actor,
                actor_label="staff",
            )
        transition(payment, S.REVERSED, actor=actor, actor_label="staff", detail={"reason": reason})
        if held and hold:
            suspense_hold_reversed(payment=payment, loan=loan, actor=actor, reason=reason)
    return payment


def payment_cancel_scheduled(*, payment_id: int, actor, now: dt.datetime | None = None) -> Payment:
    """A scheduled payment can be cancelled until the lender's cut-off on its date (a payment
    held for review, until staff decide), by whom
    loans.permissions.can_cancel_payment allows (checked under the payment's lock, so a role
    revoked meanwhile counts). The event records the actor and their role on the loan; when a
    third party cancels, the loan's owners are emailed (issue 9, rule Roles)."""
    from loans.permissions import can_cancel_payment, is_third_party, loan_role

    from ..errors import NotAllowed

    now = now or timezone.now()
    with transaction.atomic():
        payment = payment_row_for_update(payment_id, related=("loan__lender",))
        role = loan_role(user_id=actor.pk, loan_id=payment.loan_id)
        payer_role = loan_role(user_id=payment.payer_id, loan_id=payment.loan_id)
        if not can_cancel_payment(
            role=role, user_id=actor.pk, payer_id=payment.payer_id, payer_role=payer_role
        ):
            raise NotAllowed("You can't cancel this payment. Ask the person who made it.")
        if payment.status not in (S.SCHEDULED, S.HELD):
            raise TooLateToCancel("This payment is already on its way and can't be cancelled.")
        lender = payment.loan.lender
        local = lender_local(now, lender.timezone)
        # A held payment waits for staff, nothing is sent until they approve (the approval
        # takes the same row lock): it can be cancelled at any time before that.
        if payment.status == S.SCHEDULED and (local.date(), local.time()) >= (
            payment.scheduled_for,
            lender.cutoff_time,
        ):
            raise TooLateToCancel(
                "It's past the cut-off on the payment's date; it can't be cancelled."
            )
        transition(payment, S.CANCELLED, actor=actor, actor_label=role)
        if is_third_party(role):
            payment_notice_queue(payment, "third_party_cancelled")  # the owners are told
        elif is_owner(role):  # the other owners: it was on the way for them (upcoming.py)
            payment_notice_queue(payment, "co_owner_cancelled", not_to=actor.pk)
    return payment


def payments_due_for_settlement(on: dt.date):
    return Payment.objects.filter(status=S.PENDING, effective_date__lte=on).values_list(
        "pk", flat=True
    )


def settle_payments(*, on: dt.date) -> dict[str, int]:
    """Nightly: settle or return every pending bank debit old enough. Safe to run twice."""
    counts = {"checked": 0, "settled": 0, "returned": 0}
    for payment_id in payments_due_for_settlement(on):
        counts["checked"] += 1
        try:
            status = payment_settle_or_return(payment_id=payment_id, on=on).status
        except Exception:
            logger.exception("settling payment %s failed; the next run retries", payment_id)
            continue
        if status == S.SETTLED:
            counts["settled"] += 1
        elif status == S.RETURNED:
            counts["returned"] += 1
    return counts


def payment_review_approve(*, payment_id: int, actor, reason: str = "") -> Payment:
    """Staff approve a held payment: it goes on as if it had not been held."""
    from .charging import payment_charge

    with transaction.atomic():
        loan, payment = payment_for_update(payment_id)
        if payment.status != S.HELD:
            raise PaymentError(
                f"This payment is {payment.get_status_display().lower()}; only a payment held "
                "for review can be approved."
            )
        later = payment.scheduled_for > business_date(loan.lender)  # the lender's day, not NY
        transition(
            payment,
            S.SCHEDULED if later else S.SUBMITTING,
            actor=actor,
            actor_label="staff",
            detail={"review": "approved", "reason": reason},
        )
    if later:
        return payment
    return payment_charge(payment_id=payment_id, actor_label="staff")


def payment_review_reject(*, payment_id: int, actor, reason: str) -> Payment:
    """Staff reject a held payment: nothing is charged and the payer is told; so are the
    loan's other owners when an owner made it (it counted as on the way for them too:
    payments/upcoming.py)."""
    with transaction.atomic():
        _loan, payment = payment_for_update(payment_id)
        if payment.status != S.HELD:
            raise PaymentError(
                f"This payment is {payment.get_status_display().lower()}; only a payment held "
                "for review can be rejected."
            )
        transition(
            payment,
            S.CANCELLED,
            actor=actor,
            actor_label="staff",
            detail={"review": "rejected", "reason": reason},
        )
        payment_notice_queue(payment, "rejected")
        if is_owner(loan_role(user_id=payment.payer_id, loan_id=payment.loan_id)):
            payment_notice_queue(payment, "co_owner_rejected")
    return payment


def submit_scheduled_payments(*, on: dt.date) -> dict[str, int]:
    """Nightly: send every scheduled payment whose date has come (catching up missed days).
    Each is charged under its own stored key, so a rerun or a second worker charges nothing
    twice (payment_charge claims the call under a row lock)."""
    from .charging import payment_charge

    counts = {"due": 0, "charged": 0, "failed": 0, "cancelled": 0}
    due = Payment.objects.filter(status=S.SCHEDULED, scheduled_for__lte=on).values_list(
        "pk", flat=True
    )
    for payment_id in due:
        counts["due"] += 1
        try:
            status = payment_charge(payment_id=payment_id, actor_label="system:scheduled").status
        except Exception:
            logger.exception(
                "scheduled payment %s failed to send; the next run retries", payment_id
            )
            continue
        if status == S.CANCELLED:  # the charge gate refused it: nothing was charged
            counts["cancelled"] += 1
        else:
            counts["failed" if status == S.FAILED else "charged"] += 1
    return counts
