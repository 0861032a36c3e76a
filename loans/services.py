"""Every change to a loan's balances, one service each.

Each service locks the loan row (`lock_objects`), computes with the pure maths (`allocation`,
`interest`, `delinquency`), then writes the loan row and one append-only `LoanPosting` in the same
transaction. Payments, staff (admin), nightly jobs and the importer all call these; nothing else
writes a loan's balances.

Idempotency: a service called again with the same `idempotency_key` (or, where noted, the same
`external_ref`, installment or reversed posting) returns the posting it made the first time and
changes nothing.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from ismartpay.core.money import ZERO, is_cents, to_cents

from . import delinquency, history, lock_objects
from .allocation import AllocationError, Balances, allocate, apply, payoff_amount
from .interest import accrued_interest
from .models import Loan, LoanPosting
from .selectors import contract_schedule, loan_apr_caps, loan_balances_on, loan_position

__all__ = [
    "AllocationError",
    "IdempotencyConflict",
    "LoanPostingError",
    "late_fee_amount",
    "loan_apply_lender_record",
    "loan_assess_late_fee",
    "loan_assess_late_fees",
    "loan_create_from_lender_record",
    "loan_post_payment",
    "loan_reverse_posting",
    "payment_posting",
]

Kind = LoanPosting.Kind
CLOSED_STATUSES = Loan.STAFF_SET_STATUSES  # no posting but a reversal (name kept for importers)
PAYOFF_TOLERANCE_LABEL = "system:payoff_tolerance"


class LoanPostingError(ValueError):
    """A posting that cannot be made on the loan as it stands; the message is for people."""


class IdempotencyConflict(LoanPostingError):
    """An idempotency key reused for a different loan, kind or amount."""


def _label(actor, actor_label: str) -> str:
    if actor_label:
        return actor_label
    return f"user:{actor.pk}" if actor is not None else "system"


def _posted_balances(loan: Loan) -> Balances:
    return Balances(loan.principal_balance, loan.accrued_interest, loan.unpaid_fees)


def loan_status_for(loan: Loan, on: dt.date) -> str:
    """The stored status once balances changed: staff states stay; else computed for `on`."""
    if loan.status in CLOSED_STATUSES:
        return loan.status
    if payoff_amount(_posted_balances(loan)) == 0:
        return Loan.Status.PAID_OFF
    return delinquency.loan_status(contract_schedule(loan), loan_position(loan, on), on)


LOAN_BALANCE_FIELDS = (
    "principal_balance",
    "accrued_interest",
    "unpaid_fees",
    "paid_toward_installments",
    "interest_accrued_through",
    "status",
    "ledger_last_payment_date",
    "ledger_last_payment_amount",
    "updated_at",
)


def _apply(
    loan: Loan,
    *,
    kind: str,
    effective_date: dt.date,
    fees: Decimal = ZERO,
    interest: Decimal = ZERO,
    principal: Decimal = ZERO,
    interest_accrued: Decimal = ZERO,
    accrued_through: dt.date | None = None,
    counts_toward_installments: Decimal = ZERO,
    actor=None,
    actor_label: str = "",
    **extra,
) -> LoanPosting:
    """Apply signed amounts to the locked `loan` in memory; return the posting row, unsaved
    (`_post` saves both; the autopay batch saves many of each with one statement)."""
    principal_after = loan.principal_balance - principal
    interest_after = loan.accrued_interest + interest_accrued - interest
    fees_after = loan.unpaid_fees - fees
    paid_after = loan.paid_toward_installments + counts_toward_installments
    if min(principal_after, interest_after, fees_after, paid_after) < 0:
        raise LoanPostingError("That would take a balance below zero.")
    loan.principal_balance = principal_after
    loan.accrued_interest = interest_after
    loan.unpaid_fees = fees_after
    loan.paid_toward_installments = paid_after
    if accrued_through is not None and accrued_through > loan.interest_accrued_through:
        loan.interest_accrued_through = accrued_through
    loan.status = loan_status_for(loan, effective_date)
    posting = LoanPosting(
        loan=loan,
        kind=kind,
        effective_date=effective_date,
        fees=fees,
        interest=interest,
        principal=principal,
        interest_accrued=interest_accrued,
        counts_toward_installments=counts_toward_installments,
        created_by=actor,
        created_by_label=_label(actor, actor_label),
        principal_balance_after=principal_after,
        accrued_interest_after=interest_after,
        unpaid_fees_after=fees_after,
        **extra,
    )
    if kind == Kind.PAYMENT:
        _keep_last_payment(loan, posting)
    return posting


def _keep_last_payment(loan: Loan, payment: LoanPosting) -> None:
    """`payment` (a PAYMENT posting about to be saved, so posted after every other) becomes
    the loan's last payment unless one is effective later: the order of
    history.ledger_last_payment_query (latest effective date, then latest posted)."""
    last = loan.ledger_last_payment_date
    if last is None or payment.effective_date >= last:
        loan.ledger_last_payment_date = payment.effective_date
        loan.ledger_last_payment_amount = payment.received


def _post(loan: Loan, **kwargs) -> LoanPosting:
    """Apply signed amounts to the locked `loan`, save it and append the posting row."""
    posting = _apply(loan, **kwargs)
    loan.save(update_fields=list(LOAN_BALANCE_FIELDS))
    posting.save(force_insert=True)
    return posting


def payment_posting(
    loan: Loan,
    *,
    amount: Decimal,
    effective_date: dt.date,
    principal_only: bool = False,
    unapplied: Decimal = ZERO,
    **extra,
) -> LoanPosting:
    """A received payment on the locked `loan`, in memory: accrue interest to
    `effective_date`, then fees → interest → principal (or all to principal when
    `principal_only`); `unapplied` of `amount` is kept off the loan. The loan's fields are
    updated and the PAYMENT posting returned unsaved (loan_post_payment saves it; the autopay
    batch saves a chunk's postings in bulk). Raises AllocationError above any balance."""
    before = _posted_balances(loan)
    accrued = loan_balances_on(loan, effective_date)
    allocation = allocate(accrued, amount - unapplied, principal_only=principal_only)
    apply(accrued, allocation)  # refuses an allocation above any balance
    return _apply(
        loan,
        kind=Kind.PAYMENT,
        effective_date=effective_date,
        fees=allocation.fees,
        interest=allocation.interest,
        principal=allocation.principal,
        interest_accrued=accrued.interest - before.interest,
        accrued_through=effective_date,
        counts_toward_installments=(
            ZERO if principal_only else allocation.interest + allocation.principal
        ),
        unapplied=unapplied,
        principal_only=principal_only,
        **extra,
    )


def _replay(idempotency_key: str | None, *, loan_id: int, kind: str) -> LoanPosting | None:
    """The posting an earlier call with this key made, or None; refuses a key reused elsewhere."""
    if not idempotency_key:
        return None
    existing = LoanPosting.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None and (existing.loan_id != loan_id or existing.kind != kind):
        raise IdempotencyConflict("This idempotency key was used for another posting.")
    return existing


def _check_positive_cents(amount: Decimal) -> None:
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite() or amount <= 0 or not is_cents(amount):
        raise LoanPostingError("The amount must be a positive amount in dollars and cents.")


def loan_post_payment(
    *,
    loan_id: int,
    amount: Decimal,
    effective_date: dt.date,
    idempotency_key: str | None,
    principal_only: bool = False,
    payoff: bool = False,
    external_ref: str = "",
    actor=None,
    actor_label: str = "",
) -> LoanPosting:
    """Post a received payment: accrue interest to `effective_date`, then fees → interest →
    principal (or all to principal when `principal_only`).

    Raises AllocationError above the payoff (or, principal-only, above the principal).
    `payoff=True` means the borrower is paying a payoff quote: a residual up to the lender's
    `payoff_tolerance` is written off (a `write_off` posting, never billed), and any amount
    above the payoff on the effective date (quote paid before its good-through date) is
    recorded as `unapplied`, owed back to the borrower. Idempotent by `idempotency_key` and
    by `external_ref`.
    """
    _check_positive_cents(amount)
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        existing = _payment_replay(
            idempotency_key, external_ref=external_ref, loan_id=loan_id, amount=amount
        )
        if existing is not None:
            return existing
        if loan.status in CLOSED_STATUSES:
            raise LoanPostingError("This loan is closed; it cannot take payments.")

        posting = _allocate_and_post(
            loan,
            amount=amount,
            effective_date=effective_date,
            principal_only=principal_only,
            payoff=payoff,
            external_ref=external_ref,
            idempotency_key=idempotency_key or None,
            actor=actor,
            actor_label=actor_label,
        )
        if payoff:
            _write_off_payoff_residual(loan, caused_by=posting, effective_date=effective_date)
        return posting


def _allocate_and_post(
    loan: Loan,
    *,
    amount: Decimal,
    effective_date: dt.date,
    principal_only: bool,
    payoff: bool,
    **extra,
) -> LoanPosting:
    """Post `amount` on the locked `loan` (payment_posting: accrue, then fees → interest →
    principal, or principal only) and save both; above a payoff, the rest is `unapplied`."""
    owed = payoff_amount(loan_balances_on(loan, effective_date))
    unapplied = ZERO
    if payoff and not principal_only and amount > owed:
        unapplied = amount - owed
    posting = payment_posting(
        loan,
        amount=amount,
        effective_date=effective_date,
        principal_only=principal_only,
        unapplied=unapplied,
        **extra,
    )
    loan.save(update_fields=list(LOAN_BALANCE_FIELDS))
    posting.save(force_insert=True)
    return posting


def _payment_replay(
    idempotency_key: str | None, *, external_ref: str, loan_id: int, amount: Decimal
) -> LoanPosting | None:
    """The payment posting an earlier call made (by key, else by `external_ref`), or None.
    Refuses one made for another loan or another amount. Called with the loan locked."""
    existing = _replay(idempotency_key, loan_id=loan_id, kind=Kind.PAYMENT)
    if existing is None and external_ref:
        existing = LoanPosting.objects.filter(kind=Kind.PAYMENT, external_ref=external_ref).first()
        if existing is not None and existing.loan_id != loan_id:
            raise IdempotencyConflict("This payment was posted to another loan.")
    if existing is not None and existing.received != amount:
        raise IdempotencyConflict("This idempotency key was used for another amount.")
    return existing


def _write_off_payoff_residual(
    loan: Loan, *, caused_by: LoanPosting, effective_date: dt.date
) -> None:
    """After a payoff payment on the locked `loan`: write off what is left when it is within
    the lender's `payoff_tolerance` (never billed)."""
    residual = payoff_amount(_posted_balances(loan))
    if 0 < residual <= loan.lender.payoff_tolerance:
        _post(
            loan,
            kind=Kind.WRITE_OFF,
            effective_date=effective_date,
            fees=loan.unpaid_fees,
            interest=loan.accrued_interest,
            principal=loan.principal_balance,
            caused_by=caused_by,
            memo=f"Payoff residual within the lender's ${loan.lender.payoff_tolerance} tolerance",
            actor_label=PAYOFF_TOLERANCE_LABEL,
        )


def _reverse(loan: Loan, original: LoanPosting, *, reason: str, actor, actor_label: str):
    """Un-apply `original` exactly, plus the interest its principal would have accrued since."""
    catch_up = ZERO
    if original.principal > 0 and loan.interest_accrued_through > original.effective_date:
        catch_up = to_cents(
            accrued_interest(
                original.principal,
                loan.apr_percent,
                original.effective_date,
                loan.interest_accrued_through,
                apr_caps=loan_apr_caps(loan),
            )
        )
    paid_after = max(loan.paid_toward_installments - original.counts_toward_installments, ZERO)
    if original.kind == Kind.PAYMENT:  # the last payment may be the one reversed: read it again
        last = history.ledger_last_payment_query(loan).exclude(pk=original.pk).first()
        loan.ledger_last_payment_date = last.effective_date if last else None
        loan.ledger_last_payment_amount = last.received if last else None
    return _post(
        loan,
        kind=Kind.REVERSAL,
        effective_date=max(original.effective_date, loan.interest_accrued_through),
        fees=-original.fees,
        interest=-original.interest,
        principal=-original.principal,
        interest_accrued=catch_up,
        counts_toward_installments=paid_after - loan.paid_toward_installments,
        unapplied=-original.unapplied,
        principal_only=original.principal_only,
        reverses=original,
        external_ref=original.external_ref,
        memo=reason[:200],
        actor=actor,
        actor_label=actor_label,
    )


def loan_reverse_posting(
    *, posting_id: int, reason: str, actor=None, actor_label: str = ""
) -> LoanPosting:
    """Undo a posting to the cent (a returned or reversed payment, a fee assessed in error).

    Restores balances, `paid_toward_installments` and status; interest that the restored
    principal would have accrued between the posting's effective date and the loan's last
    accrual date is added back (`interest_accrued`). A payoff payment's write-off is reversed
    with it. Idempotent: a second call returns the existing reversal.
    """
    if not reason or not reason.strip():
        raise LoanPostingError("Give a reason for the reversal.")
    loan_id = LoanPosting.objects.filter(pk=posting_id).values_list("loan_id", flat=True).first()
    if loan_id is None:
        raise LoanPosting.DoesNotExist(f"no posting {posting_id}")
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        original = LoanPosting.objects.get(pk=posting_id)
        existing = LoanPosting.objects.filter(reverses=original).first()
        if existing is not None:
            return existing
        if original.kind == Kind.REVERSAL:
            raise LoanPostingError("A reversal cannot itself be reversed; post the entry again.")
        for consequence in original.consequences.filter(reversal__isnull=True).order_by("-pk"):
            _reverse(loan, consequence, reason=reason, actor=actor, actor_label=actor_label)
        return _reverse(loan, original, reason=reason, actor=actor, actor_label=actor_label)


# Moved to their own modules; still importable from here (they import _post from this one).
from .late_fees import (  # noqa: E402
    late_fee_amount,
    loan_assess_late_fee,
    loan_assess_late_fees,
)
from .lender_records import (  # noqa: E402
    loan_apply_lender_record,
    loan_create_from_lender_record,
)
