"""Late fees: the one rule (at most once per installment, only after the grace period, never
while an account flag pauses them) and the nightly job's entry point. A fee is a LATE_FEE
posting made by loans.services._post, like every change to a loan's balances."""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from ismartpay.core.money import math_context, to_cents

from . import delinquency, flags, lock_objects
from .models import AccountFlag, Lender, Loan, LoanPosting
from .selectors import contract_schedule, loan_position
from .services import CLOSED_STATUSES, Kind, LoanPostingError, _post


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
    # Kept whole: the one late-fee rule, its checks in the docstring's order (the length is
    # the docstring); the caller holds the loan's lock.
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
