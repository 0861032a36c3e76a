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
from django.db.models import Max

from ismartpay.core.money import ZERO, is_cents, math_context, to_cents

from . import delinquency, flags, lock_objects
from .allocation import AllocationError, Balances, allocate, apply, payoff_amount
from .interest import accrued_interest
from .models import AccountFlag, Lender, Loan, LoanPosting
from .selectors import contract_schedule, loan_apr_caps, loan_balances_on, loan_position

__all__ = [
    "AllocationError",
    "IdempotencyConflict",
    "LoanPostingError",
    "late_fee_amount",
    "loan_apply_lender_record",
    "loan_assess_late_fee",
    "loan_assess_late_fees",
    "loan_assess_nsf_fee",
    "loan_create_from_lender_record",
    "loan_post_payment",
    "loan_reverse_posting",
    "loan_waive_fee",
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


def _post(
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
    """Apply signed amounts to the locked `loan`, save it and append the posting row."""
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
    loan.save(
        update_fields=[
            "principal_balance",
            "accrued_interest",
            "unpaid_fees",
            "paid_toward_installments",
            "interest_accrued_through",
            "status",
            "updated_at",
        ]
    )
    return LoanPosting.objects.create(
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
        existing = _replay(idempotency_key, loan_id=loan_id, kind=Kind.PAYMENT)
        if existing is None and external_ref:
            existing = LoanPosting.objects.filter(
                kind=Kind.PAYMENT, external_ref=external_ref
            ).first()
            if existing is not None and existing.loan_id != loan_id:
                raise IdempotencyConflict("This payment was posted to another loan.")
        if existing is not None:
            if existing.received != amount:
                raise IdempotencyConflict("This idempotency key was used for another amount.")
            return existing
        if loan.status in CLOSED_STATUSES:
            raise LoanPostingError("This loan is closed; it cannot take payments.")

        before = _posted_balances(loan)
        accrued = loan_balances_on(loan, effective_date)
        owed = payoff_amount(accrued)
        unapplied = ZERO
        if payoff and not principal_only and amount > owed:
            unapplied = amount - owed
        allocation = allocate(accrued, amount - unapplied, principal_only=principal_only)
        apply(accrued, allocation)  # refuses an allocation above any balance
        posting = _post(
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
            external_ref=external_ref,
            idempotency_key=idempotency_key or None,
            actor=actor,
            actor_label=actor_label,
        )
        residual = payoff_amount(_posted_balances(loan))
        if payoff and 0 < residual <= loan.lender.payoff_tolerance:
            _post(
                loan,
                kind=Kind.WRITE_OFF,
                effective_date=effective_date,
                fees=loan.unpaid_fees,
                interest=loan.accrued_interest,
                principal=loan.principal_balance,
                caused_by=posting,
                memo=f"Payoff residual within the lender's ${loan.lender.payoff_tolerance} "
                "tolerance",
                actor_label=PAYOFF_TOLERANCE_LABEL,
            )
        return posting


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


def late_fee_amount(lender: Lender, installment: Decimal) -> Decimal:
    """The lender's late fee for one installment: flat, or percent of it capped."""
    if lender.late_fee_kind == Lender.LateFeeKind.FLAT:
        return lender.late_fee_flat
    with math_context():
        percent = installment * lender.late_fee_percent / 100
    return min(to_cents(percent), lender.late_fee_cap)


def _flag_periods(loan: Loan) -> tuple[flags.FlagPeriod, ...]:
    return tuple(
        flags.FlagPeriod(kind, start, end)
        for kind, start, end in AccountFlag.objects.filter(loan=loan).values_list(
            "kind", "start_date", "end_date"
        )
    )


def _assess_late_fee(
    loan: Loan,
    installment_number: int,
    on: dt.date,
    periods: tuple[flags.FlagPeriod, ...] | None = None,
) -> tuple[LoanPosting | None, bool]:
    """The one rule for late fees: at most once per installment, only after its grace period.

    No fee when the lender's record says this installment's late fee was dealt with before the
    ledger (`loan.late_fees_assessed_through`), and never a second one: an existing LATE_FEE
    posting for it (even a reversed one) is returned. Otherwise the fee is assessed on the
    run's business date `on` (its effective date) when `on` is past the due date plus
    `lender.grace_days` days and the installment is still not covered. An account flag that
    pauses late fees (loans/flags.py: hardship, SCRA) on `on`, or on the installment's first
    late-fee day, means no fee for it (a paused fee is not caught up after the pause). Returns
    (the posting or None, whether this call made it).
    """
    schedule = contract_schedule(loan)
    if not 1 <= installment_number <= schedule.term_months:
        raise LoanPostingError(f"Installment {installment_number} is outside the loan's term.")
    existing = loan.postings.filter(
        kind=Kind.LATE_FEE, installment_number=installment_number
    ).first()
    if existing is not None:
        return existing, False
    if installment_number <= loan.late_fees_assessed_through:
        return None, False  # assessed (or not owed) under the lender, before our ledger
    grace_ends = schedule.due_date(installment_number) + dt.timedelta(days=loan.lender.grace_days)
    if on <= grace_ends or loan.status in CLOSED_STATUSES:
        return None, False
    periods = _flag_periods(loan) if periods is None else periods
    first_fee_day = grace_ends + dt.timedelta(days=1)
    if flags.late_fees_paused(periods, on) or flags.late_fees_paused(periods, first_fee_day):
        return None, False
    position = loan_position(loan, on)
    if position.payoff == 0:
        return None, False
    if delinquency.covered_installments(schedule, position) >= installment_number:
        return None, False
    fee = late_fee_amount(loan.lender, loan.installment_amount)
    if fee <= 0:
        return None, False
    posting = _post(
        loan,
        kind=Kind.LATE_FEE,
        effective_date=on,
        fees=-fee,
        installment_number=installment_number,
        memo=f"Installment {installment_number} unpaid {loan.lender.grace_days} days after "
        "its due date",
        actor_label="system:late_fees",
    )
    return posting, True


def loan_assess_late_fee(
    *, loan_id: int, installment_number: int, on: dt.date
) -> LoanPosting | None:
    """Assess the late fee of one installment if it is still unpaid after the grace period.

    The grace period covers the due date plus `lender.grace_days` days: an installment due on
    the 5th with 10 grace days is late-feed from the 16th. Returns the new posting, the existing
    one if this installment was already charged (never twice), or None when no fee is due
    (including an installment whose fee the lender's record says was already assessed).
    """
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        return _assess_late_fee(loan, installment_number, on)[0]


def loan_assess_late_fees(*, loan_id: int, on: dt.date) -> list[LoanPosting]:
    """Assess every late fee due on business date `on` (the nightly job's entry point).

    Returns the postings this call made, dated `on`; a second call for any date makes none.
    """
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        schedule = contract_schedule(loan)
        last_due = delinquency.late_fee_due_count(schedule, loan.lender.grace_days, on)
        first_unpaid = delinquency.covered_installments(schedule, loan_position(loan, on)) + 1
        made = []
        periods = _flag_periods(loan) if first_unpaid <= last_due else ()
        for number in range(first_unpaid, last_due + 1):
            posting, created = _assess_late_fee(loan, number, on, periods)
            if created:
                made.append(posting)
        return made


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
        if loan.lender.nsf_fee <= 0 or loan.status in CLOSED_STATUSES:
            return None
        return _post(
            loan,
            kind=Kind.NSF_FEE,
            effective_date=on,
            fees=-loan.lender.nsf_fee,
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


BALANCE_FIELDS = (
    "principal_balance",
    "accrued_interest",
    "unpaid_fees",
    "paid_toward_installments",
    "interest_accrued_through",
)


def _late_fees_through_for_record(loan: Loan, recorded: int | None, on: dt.date) -> int:
    """`late_fees_assessed_through` once a lender record dated `on` is applied to `loan`.

    `recorded` None (the import's column absent or blank): the record is complete as of `on`,
    so every installment whose grace period ended before `on` is the lender's. The result is
    never below the loan's current value nor below the highest installment with a late fee on
    our ledger: a record can add installments to it, never take them back.
    """
    if recorded is None:
        recorded = delinquency.late_fee_due_count(
            contract_schedule(loan), loan.lender.grace_days, on
        )
    if loan.pk is not None:
        on_ledger = loan.postings.filter(kind=Kind.LATE_FEE).aggregate(
            highest=Max("installment_number", default=0)
        )["highest"]
        recorded = max(recorded, loan.late_fees_assessed_through, on_ledger)
    return min(recorded, loan.term_months)


def loan_create_from_lender_record(*, lender: Lender, record: dict, on: dt.date) -> Loan:
    """Create a loan from the lender's servicing record (staff import), dated `on`.

    `record` holds the Loan fields; its `late_fees_assessed_through` may be None (see
    `_late_fees_through_for_record`). The opening balances are the record's: no posting.
    """
    fields = dict(record)
    recorded = fields.pop("late_fees_assessed_through", None)
    loan = Loan(lender=lender, **fields)
    loan.late_fees_assessed_through = _late_fees_through_for_record(loan, recorded, on)
    loan.status = loan_status_for(loan, on)
    loan.save()
    return loan


def loan_apply_lender_record(
    *, loan_id: int, record: dict, on: dt.date, actor=None, memo: str = ""
) -> LoanPosting | None:
    """Apply the lender's updated servicing record (staff import) to an existing loan.

    Contract facts are overwritten; `late_fees_assessed_through` only ever rises (see
    `_late_fees_through_for_record`); a change to the balances (or to the interest paid-through
    date) is recorded as one `adjustment` posting, returned; None when balances are unchanged.
    """
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        contract = {
            name: value
            for name, value in record.items()
            if name not in BALANCE_FIELDS and name != "late_fees_assessed_through"
        }
        for name, value in contract.items():
            setattr(loan, name, value)
        loan.late_fees_assessed_through = _late_fees_through_for_record(
            loan, record.get("late_fees_assessed_through"), on
        )
        loan.save(update_fields=[*contract, "late_fees_assessed_through", "updated_at"])
        deltas = {
            "principal": loan.principal_balance - record["principal_balance"],
            "interest": loan.accrued_interest - record["accrued_interest"],
            "fees": loan.unpaid_fees - record["unpaid_fees"],
            "counts_toward_installments": record["paid_toward_installments"]
            - loan.paid_toward_installments,
        }
        if any(deltas.values()) or record["interest_accrued_through"] != (
            loan.interest_accrued_through
        ):
            loan.interest_accrued_through = record["interest_accrued_through"]
            return _post(
                loan,
                kind=Kind.ADJUSTMENT,
                effective_date=on,
                memo=memo[:200],
                actor=actor,
                actor_label="" if actor else "system:import",
                **deltas,
            )
        status = loan_status_for(loan, on)
        if status != loan.status:
            loan.status = status
            loan.save(update_fields=["status", "updated_at"])
        return None
