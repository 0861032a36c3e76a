"""A statement's figures, from the ledger (loans.LoanPosting) alone. No ORM writes, no clock.

The cycle (docs/domain-decisions.md, "Statement cycle"): cycle n bills installment n and
closes CYCLE_DAYS_BEFORE_DUE days before its due date, the way US auto servicers print the
statement about three weeks ahead so it arrives with time to pay. It covers postings whose
effective date falls in [the day after the previous close (the contract date for cycle 1),
the close]. Balances at the close follow the ledger identity (loans.models.LoanPosting):
balance at close = opening balance − Σ(postings effective on or before the close).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ismartpay.core.money import ZERO
from loans import delinquency
from loans.allocation import Balances, accrue_interest, payoff_amount
from loans.models import Loan, LoanPosting

CYCLE_DAYS_BEFORE_DUE = 21  # the statement closes 21 days before the due date it bills
K = LoanPosting.Kind
FEE_KINDS = (K.LATE_FEE, K.NSF_FEE)


def cycle_close(schedule: delinquency.ContractSchedule, number: int) -> dt.date:
    return schedule.due_date(number) - dt.timedelta(days=CYCLE_DAYS_BEFORE_DUE)


def cycle_start(schedule: delinquency.ContractSchedule, contract_date: dt.date, number: int):
    if number == 1:
        return min(contract_date, cycle_close(schedule, 1))
    return cycle_close(schedule, number - 1) + dt.timedelta(days=1)


def latest_closed_cycle(schedule: delinquency.ContractSchedule, on: dt.date) -> int | None:
    """The last cycle whose close is before `on` (a statement is made the day after its
    close, so payments effective on the closing day are in it), or None before the first."""
    count = schedule.due_count(on - dt.timedelta(days=1) + dt.timedelta(days=CYCLE_DAYS_BEFORE_DUE))
    return count or None


@dataclass
class Figures:
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date
    payments_total: Decimal = ZERO
    fees_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    principal_paid: Decimal = ZERO
    fees_assessed: Decimal = ZERO
    fees_waived: Decimal = ZERO
    interest_charged: Decimal = ZERO
    principal_balance: Decimal = ZERO
    accrued_interest: Decimal = ZERO
    unpaid_fees: Decimal = ZERO
    amount_due: Decimal = ZERO
    past_due_amount: Decimal = ZERO
    lines: list[dict] = field(default_factory=list)


def _line(posting: LoanPosting) -> dict:
    label = posting.get_kind_display()
    if posting.kind == K.REVERSAL and posting.reverses is not None:
        label = f"Reversal of {posting.reverses.get_kind_display().lower()}"
    return {
        "date": posting.effective_date.isoformat(),
        "kind": posting.kind,
        "label": label,
        "fees": str(posting.fees),
        "interest": str(posting.interest),
        "principal": str(posting.principal),
        "total": str(posting.total),
        "memo": posting.memo,
    }


def statement_figures(
    loan: Loan, postings: list[LoanPosting], *, number: int, schedule=None
) -> Figures:
    """Cycle `number`'s figures. `postings` is the loan's whole ledger (with `reverses`
    loaded); `loan` holds the balances after the last of them."""
    schedule = schedule or delinquency.ContractSchedule(
        first_due_date=loan.first_due_date,
        due_day=loan.due_day,
        term_months=loan.term_months,
        installment=loan.installment_amount,
    )
    start = cycle_start(schedule, loan.contract_date, number)
    end = cycle_close(schedule, number)
    out = Figures(period_start=start, period_end=end, due_date=schedule.due_date(number))
    principal, interest, fees = loan.principal_balance, loan.accrued_interest, loan.unpaid_fees
    paid_toward = loan.paid_toward_installments
    accrued_through = None
    for p in postings:  # undo everything after the close: the balances at the close remain
        if p.effective_date > end:
            principal += p.principal
            interest += p.interest - p.interest_accrued
            fees += p.fees
            paid_toward -= p.counts_toward_installments
        elif p.kind in (K.PAYMENT, K.REVERSAL):
            accrued_through = max(accrued_through or p.effective_date, p.effective_date)
    out.principal_balance, out.accrued_interest, out.unpaid_fees = principal, interest, fees

    _add_cycle_activity(out, postings)

    # What is due, as of the close: past-due + this installment + fees, less what was paid.
    if accrued_through is None:
        accrued_through = min(loan.interest_accrued_through, end)
    balances = accrue_interest(
        Balances(principal, interest, fees), loan.apr_percent, accrued_through, end
    )
    position = delinquency.LoanPosition(
        paid_toward_installments=max(paid_toward, ZERO),
        unpaid_fees=fees,
        payoff=payoff_amount(balances),
    )
    out.amount_due = delinquency.amount_due_now(schedule, position, out.due_date)
    out.past_due_amount = delinquency.past_due_amount(schedule, position, end)
    return out


def _add_cycle_activity(out: Figures, postings: list[LoanPosting]) -> None:
    """Add the postings dated in `out`'s period: its lines, interest charged, payments (by
    part), fees assessed and fees waived (a reversal counts for what it reverses)."""
    start, end = out.period_start, out.period_end
    for p in sorted(postings, key=lambda p: (p.effective_date, p.pk)):
        if not start <= p.effective_date <= end:
            continue
        out.lines.append(_line(p))
        out.interest_charged += p.interest_accrued
        target = p.reverses.kind if p.kind == K.REVERSAL and p.reverses else p.kind
        if target == K.PAYMENT:
            out.fees_paid += p.fees
            out.interest_paid += p.interest
            out.principal_paid += p.principal
            out.payments_total += p.total
        elif p.kind in FEE_KINDS:
            out.fees_assessed -= p.fees
        elif p.kind == K.FEE_WAIVER or (p.kind == K.REVERSAL and target in FEE_KINDS):
            out.fees_waived += p.fees


def statement_message(figures: Figures, *, lender_message: str = "") -> str:
    """The message area: what the borrower should act on first, then the lender's note."""
    parts = []
    if figures.past_due_amount > 0:
        parts.append(
            f"Your account is past due by ${figures.past_due_amount:,}. Please pay the amount "
            "due now to avoid more late fees; if you are having trouble paying, contact us "
            "about options."
        )
    if figures.fees_assessed > 0:
        parts.append(f"Fees of ${figures.fees_assessed:,} were added this period.")
    if lender_message:
        parts.append(lender_message)
    if not parts:
        parts.append("Thank you for your payments.")
    return "\n\n".join(parts)
