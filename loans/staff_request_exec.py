"""Each staff money action's one service, by StaffRequest kind (staff_request_kinds.py holds
the checks and the previews; staff_request_kinds_more.py the remittance, suspense-apply and
account-flag kinds). loans/staff_requests.py runs `execute` exactly once per approved request.

`execute` runs inside the caller's transaction (except a refund through the processor:
payments/services/refunds.py commits its own claim first).
"""

import datetime as dt
from decimal import Decimal

from accounts.audit import audit_record

from . import staff_request_kinds_more as more
from .fees import loan_waive_fee
from .models import LoanPosting, StaffRequest
from .servicing import loan_change_rate, loan_credit_adjustment
from .staff_request_kinds import Done

K = StaffRequest.Kind


def execute(request: StaffRequest, *, actor, on: dt.date, reason: str, key: str) -> Done:
    """Run the one service for the request's kind (with `key` where the service takes one)."""
    if request.kind in more.KINDS:
        return more.execute(request, actor=actor, on=on, reason=reason, key=key)
    return _SERVICES[request.kind](request, actor=actor, on=on, reason=reason, key=key)


def _waive(request, *, actor, on, reason, key) -> Done:
    return Done(
        loan_waive_fee(
            loan_id=request.loan_id,
            amount=request.amount,
            reason=reason,
            actor=actor,
            on=on,
            idempotency_key=key,
        )
    )


def _credit(request, *, actor, on, reason, key) -> Done:
    return Done(
        loan_credit_adjustment(
            loan_id=request.loan_id,
            amount=request.amount,
            reason=reason,
            actor=actor,
            on=on,
            idempotency_key=key,
        )
    )


def _rate(request, *, actor, on, reason, key) -> Done:
    posting, change = loan_change_rate(
        loan_id=request.loan_id,
        apr_percent=Decimal(request.params["apr_percent"]),
        reason=reason,
        actor=actor,
        on=on,
    )
    audit_record(
        actor=actor, action="loan.change_rate", target=request.loan, reason=reason, details=change
    )
    return Done(posting)


def _suspense_refund(request, *, actor, on, reason, key) -> Done:
    from payments.services.suspense import suspense_refund

    step = suspense_refund(
        item_id=request.params["item"],
        amount=request.amount,
        reason=reason,
        actor=actor,
        reference=request.params.get("reference", ""),
        send=False,  # claimed here, sent after the commit (staff_requests._finish)
    )
    return Done(params={"step": step.pk})


def _move(request, *, actor, on, reason, key) -> Done:
    from payments.services.suspense import suspense_move_payment

    moved = suspense_move_payment(
        payment_id=request.payment_id,
        to_loan_id=request.params["to_loan"],
        reason=reason,
        actor=actor,
    )
    return Done(_reversal_of(request.payment_id), params=_ids(moved))


def _return_check(request, *, actor, on, reason, key) -> Done:
    from payments.services.returned_checks import payment_return_received

    payment_return_received(
        payment_id=request.payment_id,
        return_code=request.params["return_code"],
        reason=reason,
        actor=actor,
        on=on,
    )
    return Done(_reversal_of(request.payment_id))


def _refund_or_reverse(request, *, actor, on, reason, key) -> Done:
    """Idempotent by the payment's own state (a refunded or reversed payment is refused)."""
    from payments.services import payment_refund, payment_reverse

    service = payment_refund if request.kind == K.REFUND else payment_reverse
    service(payment_id=request.payment_id, reason=reason, actor=actor)
    return Done(_reversal_of(request.payment_id))


def _record(request: StaffRequest, *, actor, on: dt.date, reason: str, key: str) -> Done:
    """Money received: the payment's own key is the check's (channel, loan, reference), so the
    same check recorded twice — alone, or by two requests — is one payment."""
    from payments.services.received import payment_record_received

    p = request.params
    result = payment_record_received(
        loan_id=request.loan_id,
        channel=p["channel"],
        amount=request.amount,
        effective_date=dt.date.fromisoformat(p["effective_date"]),
        reference=p["reference"],
        actor=actor,
        reason=reason,
        today=on,
    )
    return Done(posting_of(result.payment), result.payment, _ids(result))


def posting_of(payment) -> LoanPosting | None:
    """The ledger row a payment made (None: none yet, or no payment)."""
    posting_id = payment.loan_posting_id if payment else None
    return LoanPosting.objects.filter(pk=posting_id).first() if posting_id else None


def _ids(received) -> dict:
    return {
        "new_payment": received.payment.pk if received.payment else None,
        "suspense": received.suspense.pk if received.suspense else None,
    }


def _reversal_of(payment_id: int) -> LoanPosting | None:
    from payments.models import Payment

    posting_id = Payment.objects.values_list("loan_posting_id", flat=True).get(pk=payment_id)
    return LoanPosting.objects.filter(reverses_id=posting_id).first() if posting_id else None


_SERVICES = {
    K.WAIVE_FEE: _waive,
    K.CREDIT: _credit,
    K.REFUND: _refund_or_reverse,
    K.REVERSE: _refund_or_reverse,
    K.RECORD_RECEIVED: _record,
    K.RETURN_CHECK: _return_check,
    K.MOVE_PAYMENT: _move,
    K.SUSPENSE_REFUND: _suspense_refund,
    K.RATE_CHANGE: _rate,
}
