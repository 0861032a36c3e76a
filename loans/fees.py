"""Fees other than late fees (loans/late_fees.py): the returned-payment (NSF) fee a return
assesses once per payment, and a staff waiver of unpaid fees. Each is a posting made by
loans.services._post, like every change to a loan's balances."""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from ismartpay.core.money import ZERO

from . import lock_objects
from .models import Loan, LoanPosting
from .services import (
    CLOSED_STATUSES,
    IdempotencyConflict,
    Kind,
    LoanPostingError,
    _check_positive_cents,
    _post,
    _replay,
)


def nsf_fee_due(loan: Loan) -> Decimal:
    """The returned-payment fee (dollars) a return assesses on `loan`: the lender's `nsf_fee`,
    or none when the lender charges none or staff closed or charged the loan off. The one
    rule: `loan_assess_nsf_fee` posts it and the returned-check preview shows it."""
    if loan.lender.nsf_fee <= 0 or loan.status in CLOSED_STATUSES:
        return ZERO
    return loan.lender.nsf_fee


def loan_assess_nsf_fee(*, loan_id: int, external_ref: str, on: dt.date) -> LoanPosting | None:
    """Assess the lender's returned-payment fee once per returned payment (`external_ref`).

    Returns the existing posting on a repeat call, or None when the lender charges no such fee.
    """
    if not external_ref:
        raise ValueError("external_ref names the returned payment, e.g. 'payment:123'")
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        existing = LoanPosting.objects.filter(kind=Kind.NSF_FEE, external_ref=external_ref).first()
        if existing is not None:
            if existing.loan_id != loan_id:
                raise IdempotencyConflict("This payment's fee was assessed on another loan.")
            return existing
        fee = nsf_fee_due(loan)
        if not fee:
            return None
        return _post(
            loan,
            kind=Kind.NSF_FEE,
            effective_date=on,
            fees=-fee,
            external_ref=external_ref,
            memo="Returned payment",
            actor_label="system:returns",
        )


def loan_waive_fee(
    *,
    loan_id: int,
    amount: Decimal,
    reason: str,
    actor,
    on: dt.date,
    actor_label: str = "",
    idempotency_key: str | None = None,
) -> LoanPosting:
    """Waive up to the loan's unpaid fees (staff), with the reason on the ledger."""
    _check_positive_cents(amount)
    if not reason or not reason.strip():
        raise LoanPostingError("Give a reason for the waiver.")
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        existing = _replay(idempotency_key, loan_id=loan_id, kind=Kind.FEE_WAIVER)
        if existing is not None:
            return existing
        if amount > loan.unpaid_fees:
            raise LoanPostingError(f"Only ${loan.unpaid_fees} of fees are unpaid.")
        return _post(
            loan,
            kind=Kind.FEE_WAIVER,
            effective_date=on,
            fees=amount,
            memo=reason[:200],
            idempotency_key=idempotency_key or None,
            actor=actor,
            actor_label=actor_label,
        )
