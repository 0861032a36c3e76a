"""The lender's servicing record (staff import): create a loan from it, or apply an updated
one (contract facts overwritten, balance changes as one adjustment posting,
late_fees_assessed_through only ever rising)."""

import datetime as dt

from django.db import transaction
from django.db.models import Max

from . import delinquency, lock_objects
from .models import Lender, Loan, LoanPosting
from .selectors import contract_schedule
from .services import Kind, _post, loan_status_for

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
