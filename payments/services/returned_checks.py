"""A check or money order that came back unpaid: the same `payment_return` as an ACH return
(reversal to the cent and one returned-payment fee), and what of it was still held in suspense
voided."""

import datetime as dt

from django.db import transaction

from accounts.audit import audit_record
from ismartpay.core.today import business_date

from ..errors import PaymentError
from ..lock_objects import payment_for_update
from ..models import Payment
from .events import paper_return_allowed

S = Payment.Status
# Why a check or money order came back (Payment.return_code holds up to 4 characters).
RETURNED_CHECK_CODES = {
    "NSF": "Insufficient funds",
    "STOP": "Payment stopped",
    "CLSD": "Account closed",
    "NOAC": "No account / unable to locate",
    "ALTR": "Altered or forged",
}


def payment_return_received(
    *, payment_id: int, return_code: str, reason: str, actor, on: dt.date | None = None
) -> Payment:
    """A posted check or money order came back unpaid: the same path as an ACH return
    (`payment_return`: reversal to the cent, the lender's returned-payment fee once), and
    whatever of it was still held in suspense is voided — that money never arrived. Running
    it twice changes nothing. A check moved to another loan is refused: the copy posted there
    is the one to return. Audited (`payment.return_check`)."""
    from .lifecycle import payment_return
    from .suspense import suspense_void_for_payment

    if return_code not in RETURNED_CHECK_CODES:
        raise PaymentError("Choose why the bank returned it.")
    with transaction.atomic():
        loan, payment = payment_for_update(payment_id)
        on = on or business_date(loan.lender)  # the loan's lender's date, not New York's
        if payment.status == S.RETURNED:
            return payment
        if not paper_return_allowed(payment):
            raise PaymentError("Only a posted check or money order can be marked returned.")
        refuse_return_of_moved(payment)
        payment = payment_return(
            payment_id=payment_id,
            return_code=return_code,
            on=on,
            actor=actor,
            actor_label="staff",
        )
        voided, not_recovered = suspense_void_for_payment(
            payment=payment, actor=actor, reason=reason
        )
        audit_record(
            actor=actor,
            action="payment.return_check",
            target=payment,
            reason=reason,
            details={
                "return_code": return_code,
                "amount": str(payment.amount),
                "suspense_voided": str(voided),
                "not_recovered": str(not_recovered),
            },
        )
    return payment


def refuse_return_of_moved(payment: Payment) -> None:
    """A check moved to another loan: its money (and so its return) is the copy's there.
    Returning this reversed original would leave the copy posted and the other loan credited
    with money that never arrived (second attacker review)."""
    from .suspense import moved_to

    copy = moved_to(payment)
    if copy is not None:
        what = "money order" if payment.channel == Payment.Channel.MONEY_ORDER else "check"
        raise PaymentError(
            f"This {what} was moved to loan {copy.loan.loan_number} as payment "
            f"{copy.reference}: mark that payment returned."
        )
