"""Staff servicing changes to one loan: a credit adjustment, and changes to the due day, the
maturity (term) or the rate. Each locks the loan, validates the change against the loan as it
stands, and rebuilds what depends on it in the same transaction: the schedule is derived from
the loan's facts (first due date, due day, term), delinquency and status are computed from
them, and autopay plans' next run dates are recomputed (payments.autopay.services).

Errors are `ServicingError` with `field` naming the form field the message belongs next to.
The admin (loans/admin_actions.py) writes the audit row.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction

from ismartpay.core.money import to_cents

from . import calendar, delinquency, lock_objects
from .allocation import allocate, apply, payoff_amount
from .interest import accrued_interest
from .models import Loan, LoanPosting
from .selectors import contract_schedule, loan_apr_caps, loan_balances_on, loan_position
from .services import (
    CLOSED_STATUSES,
    IdempotencyConflict,
    LoanPostingError,
    _check_positive_cents,
    _post,
    _posted_balances,
    _replay,
    loan_status_for,
)

Kind = LoanPosting.Kind
# Due days a staff change may choose: 1–28 fall in every month, so every installment is due on
# the same day number (29–31 stay possible on imported contracts, never by a change).
DUE_DAY_RANGE = (1, 28)
TERM_RANGE = (1, 120)  # months, as the Loan constraint
APR_RANGE = (Decimal("0"), Decimal("36"))  # percent, as the Loan constraint


class ServicingError(LoanPostingError):
    """A servicing change refused; `field` is the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def _require_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise ServicingError("Give a reason.", field="reason")


def _require_open(loan: Loan) -> None:
    if loan.status in CLOSED_STATUSES or loan.status == Loan.Status.PAID_OFF:
        raise ServicingError(f"This loan is {loan.get_status_display().lower()}; it can't change.")


def loan_credit_adjustment(
    *,
    loan_id: int,
    amount: Decimal,
    reason: str,
    actor,
    on: dt.date,
    idempotency_key: str | None = None,
    actor_label: str = "",
) -> LoanPosting:
    """Credit the borrower `amount` dollars (goodwill, servicer error): interest is accrued to
    `on`, then the credit reduces fees → interest → principal as a payment would, and never
    takes a balance below zero (at most the payoff). It is not a payment: it does not count
    toward scheduled installments. One ADJUSTMENT posting; idempotent by `idempotency_key`."""
    _check_positive_cents(amount)
    _require_reason(reason)
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        existing = _replay(idempotency_key, loan_id=loan_id, kind=Kind.ADJUSTMENT)
        if existing is not None:
            if existing.total != amount:
                raise IdempotencyConflict("This idempotency key was used for another amount.")
            return existing
        if loan.status in CLOSED_STATUSES:
            raise ServicingError("This loan is closed; it cannot take a credit.")
        before = _posted_balances(loan)
        accrued = loan_balances_on(loan, on)
        owed = payoff_amount(accrued)
        if amount > owed:
            raise ServicingError(f"A credit can be at most the payoff, ${owed}.", field="amount")
        allocation = allocate(accrued, amount)
        apply(accrued, allocation)
        return _post(
            loan,
            kind=Kind.ADJUSTMENT,
            effective_date=on,
            fees=allocation.fees,
            interest=allocation.interest,
            principal=allocation.principal,
            interest_accrued=accrued.interest - before.interest,
            accrued_through=on,
            memo=f"Credit: {reason.strip()}"[:200],
            idempotency_key=idempotency_key or None,
            actor=actor,
            actor_label=actor_label,
        )


def _save_terms(loan: Loan, fields: list[str], on: dt.date) -> None:
    loan.status = loan_status_for(loan, on)
    loan.save(update_fields=[*fields, "status", "updated_at"])


def _autopay_rebuild(
    loan: Loan, old: delinquency.ContractSchedule, on: dt.date, *, field: str
) -> list[int]:
    """Move the loan's autopay plans to its new terms; autopay's refusal (a debit in flight,
    a run date past its cut-off) becomes the change's, on `field`: every caller shows a
    ServicingError (a ValueError) next to the field or records it on the borrower's request.
    Before, AutopayError escaped them all: a 500 (attacker review helper-67)."""
    from payments.autopay.errors import AutopayError  # payments → loans
    from payments.autopay.reschedule import autopay_loan_terms_changed

    try:
        return autopay_loan_terms_changed(loan=loan, old_schedule=old, on=on)
    except AutopayError as exc:
        raise ServicingError(str(exc), field=field) from None


def loan_change_due_day(
    *, loan_id: int, due_day: int, reason: str, actor, on: dt.date
) -> tuple[Loan, dict]:
    """Move every due date of the contract to `due_day` (1–28) of the same month.

    Allowed only while the loan is current (a past-due loan is brought current first, so a
    change never rewrites a missed due date), and only when the next unpaid installment's new
    due date is after `on` (nothing becomes due in the past). Returns the loan and
    {"before": …, "after": …} of the facts that changed, for the audit row."""
    _require_reason(reason)
    low, high = DUE_DAY_RANGE
    if isinstance(due_day, bool) or not isinstance(due_day, int) or not low <= due_day <= high:
        raise ServicingError(f"Choose a due day from {low} to {high}.", field="due_day")
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        _require_open(loan)
        if due_day == loan.due_day:
            raise ServicingError(f"The due day is already {due_day}.", field="due_day")
        old = contract_schedule(loan)
        position = loan_position(loan, on)
        if delinquency.loan_status(old, position, on) == delinquency.PAST_DUE:
            raise ServicingError(
                "This loan is past due; bring it current before moving its due date.",
                field="due_day",
            )
        first = old.first_due_date
        new_first = calendar.due_date(first.year, first.month, due_day)
        if new_first <= loan.contract_date:
            raise ServicingError(
                f"The first due date would be {new_first}, not after the contract date.",
                field="due_day",
            )
        new = delinquency.ContractSchedule(new_first, due_day, old.term_months, old.installment)
        covered = delinquency.covered_installments(old, position)
        if covered < new.term_months and new.due_date(covered + 1) <= on:
            raise ServicingError(
                f"The next installment would fall due on {new.due_date(covered + 1)}, "
                "which is not after today; choose a later day.",
                field="due_day",
            )
        before = {"due_day": loan.due_day, "first_due_date": str(loan.first_due_date)}
        loan.due_day, loan.first_due_date = due_day, new_first
        _save_terms(loan, ["due_day", "first_due_date"], on)
        plans = _autopay_rebuild(loan, old, on, field="due_day")
        after = {"due_day": due_day, "first_due_date": str(new_first), "autopay_plans": plans}
        return loan, {"before": before, "after": after}


def loan_change_term(
    *, loan_id: int, term_months: int, reason: str, actor, on: dt.date
) -> tuple[Loan, dict]:
    """Change the maturity: the number of monthly installments (an extension or a shortening).
    The installment amount stays; the final installment absorbs what remains. The term can't
    end before an installment already due or one whose late fee is on record."""
    _require_reason(reason)
    low, high = TERM_RANGE
    if isinstance(term_months, bool) or not isinstance(term_months, int):
        raise ServicingError("Enter a whole number of months.", field="term_months")
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        _require_open(loan)
        old = contract_schedule(loan)
        at_least = max(
            low,
            old.due_count(on) + 1,
            loan.late_fees_assessed_through,
            *loan.postings.filter(kind=Kind.LATE_FEE).values_list("installment_number", flat=True),
        )
        if not at_least <= term_months <= high:
            raise ServicingError(
                f"Choose a term from {at_least} to {high} months.", field="term_months"
            )
        if term_months == loan.term_months:
            raise ServicingError(f"The term is already {term_months} months.", field="term_months")
        before = {"term_months": loan.term_months, "maturity": str(old.due_date(old.term_months))}
        loan.term_months = term_months
        _save_terms(loan, ["term_months"], on)
        plans = _autopay_rebuild(loan, old, on, field="term_months")
        new = contract_schedule(loan)
        after = {
            "term_months": term_months,
            "maturity": str(new.due_date(term_months)),
            "autopay_plans": plans,
        }
        return loan, {"before": before, "after": after}


EXTENSION_MONTHS_RANGE = (1, 12)  # months one extension may defer, whatever a lender allows


def loan_defer_installments(
    *, loan_id: int, months: int, reason: str, actor, on: dt.date
) -> tuple[Loan, dict]:
    """A payment extension (deferral): every installment not yet paid moves `months` later,
    so the one due next is paid at the end and the maturity moves `months` later. The number
    of installments and their amount stay; interest keeps accruing daily on the principal, so
    the final installment (which absorbs the remainder) grows. A past-due installment moves
    too: deferring it is what an extension is for. Autopay plans follow the new dates.

    The schedule is the contract's facts (first due date, due day, term), so moving it means
    moving the first due date: installments already paid keep their numbers but show the
    shifted dates (docs/requests.md)."""
    _require_reason(reason)
    low, high = EXTENSION_MONTHS_RANGE
    if isinstance(months, bool) or not isinstance(months, int) or not low <= months <= high:
        raise ServicingError(f"Choose from {low} to {high} months.", field="months")
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        _require_open(loan)
        old = contract_schedule(loan)
        covered = delinquency.covered_installments(old, loan_position(loan, on))
        if covered >= old.term_months:
            raise ServicingError("Every installment is paid; there is nothing to defer.")
        first = old.first_due_date + relativedelta(months=months, day=old.due_day)
        before = {
            "first_due_date": str(old.first_due_date),
            "next_due_date": str(old.due_date(covered + 1)),
            "maturity": str(old.due_date(old.term_months)),
        }
        loan.first_due_date = first
        _save_terms(loan, ["first_due_date"], on)
        plans = _autopay_rebuild(loan, old, on, field="months")
        new = contract_schedule(loan)
        after = {
            "months": months,
            "first_due_date": str(first),
            "next_due_date": str(new.due_date(covered + 1)),
            "maturity": str(new.due_date(new.term_months)),
            "autopay_plans": plans,
        }
        return loan, {"before": before, "after": after}


def rate_check(apr_percent) -> Decimal:
    """Refuse an APR that can never be set (also before a rate change request is made)."""
    low, high = APR_RANGE
    if not isinstance(apr_percent, Decimal) or not apr_percent.is_finite():
        raise ServicingError("Enter the APR as a number, e.g. 5.99.", field="apr_percent")
    three_places = apr_percent.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    if not low <= apr_percent <= high or apr_percent != three_places:
        raise ServicingError(
            "The APR is a percent from 0 to 36 with at most 3 decimals.", field="apr_percent"
        )
    return apr_percent


def loan_change_rate(
    *, loan_id: int, apr_percent: Decimal, reason: str, actor, on: dt.date
) -> tuple[LoanPosting, dict]:
    """Change the APR from `on`: interest is first accrued to `on` at the old rate (an
    ADJUSTMENT posting with the reason, moving nothing else), then the new rate accrues from
    `on`. The installment stays; the payoff and the last installment absorb the difference."""
    _require_reason(reason)
    rate_check(apr_percent)
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        _require_open(loan)
        if apr_percent == loan.apr_percent:
            raise ServicingError(f"The APR is already {apr_percent} %.", field="apr_percent")
        if on < loan.interest_accrued_through:
            raise ServicingError(
                f"Interest is already posted through {loan.interest_accrued_through}; "
                "a rate change takes effect from then or later."
            )
        catch_up = to_cents(
            accrued_interest(
                loan.principal_balance,
                loan.apr_percent,
                loan.interest_accrued_through,
                on,
                apr_caps=loan_apr_caps(loan),
            )
        )
        old_apr = loan.apr_percent
        posting = _post(
            loan,
            kind=Kind.ADJUSTMENT,
            effective_date=on,
            interest_accrued=catch_up,
            accrued_through=on,
            memo=f"APR {old_apr} % → {apr_percent} % from {on}: {reason.strip()}"[:200],
            actor=actor,
        )
        loan.apr_percent = apr_percent
        loan.save(update_fields=["apr_percent", "updated_at"])
        return posting, {
            "before": {"apr_percent": str(old_apr)},
            "after": {"apr_percent": str(apr_percent), "interest_accrued": str(catch_up)},
        }


__all__ = [
    "ServicingError",
    "loan_change_due_day",
    "loan_change_rate",
    "loan_change_term",
    "loan_credit_adjustment",
    "loan_defer_installments",
]
