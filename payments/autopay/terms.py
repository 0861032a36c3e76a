"""An autopay plan's terms: validation, the words that describe them, the authorization text
and the review's preview (what the borrower agrees to before any state changes)."""

import datetime as dt

from loans.models import Loan

from .. import authorizations
from ..models import AutopayPlan, PaymentMethod
from ..rules import method_refusal
from ..timing import earliest_run_date, lender_local
from . import schedule as sched
from .errors import AutopayError
from .selectors import periods_start, project_debits


def describe_amount(terms: sched.PlanTerms) -> str:
    half = " (half of it every two weeks)" if terms.schedule == sched.BIWEEKLY else ""
    return {
        sched.AMOUNT_DUE: "the amount due on each due date, including any past-due amount and fees",
        sched.INSTALLMENT: f"your scheduled monthly payment{half}",
        sched.FIXED: f"${terms.fixed_amount or 0:,} each time",
        sched.EXTRA: f"your scheduled monthly payment{half} plus ${terms.extra_amount or 0:,} "
        "toward principal",
    }[terms.amount_rule]


def describe_schedule(terms: sched.PlanTerms) -> str:
    if terms.schedule == sched.MONTHLY_DAY:
        return f"every month on day {terms.day_of_month}, on or before your due date"
    if terms.schedule == sched.BIWEEKLY:
        return f"every two weeks starting {terms.start_date:%B %-d, %Y}"
    return "every month on your due date"


def _authorized_amount(terms: sched.PlanTerms) -> str:
    """The amount rule in the borrower's own words (first person: "I authorize … for …")."""
    monthly = (
        "half my monthly payment" if terms.schedule == sched.BIWEEKLY else "my monthly payment"
    )
    return {
        sched.AMOUNT_DUE: "the amount due (including any past-due amount and fees)",
        sched.INSTALLMENT: monthly,
        sched.FIXED: f"${terms.fixed_amount or 0:,}",
        sched.EXTRA: f"{monthly} plus ${terms.extra_amount or 0:,} toward principal",
    }[terms.amount_rule]


def _authorized_schedule(terms: sched.PlanTerms) -> str:
    if terms.schedule == sched.MONTHLY_DAY:
        return f"every month on day {terms.day_of_month}"
    if terms.schedule == sched.BIWEEKLY:
        return "every two weeks"
    return "every month on my due date"


def authorization_text(*, loan: Loan, method: PaymentMethod, terms: sched.PlanTerms) -> str:
    """The exact words the borrower agrees to (payments.authorizations, AUTOPAY_VERSION)."""
    return authorizations.autopay_text(
        lender_name=loan.lender.name,
        loan_number=loan.loan_number,
        account_label=method.label,
        amount_words=_authorized_amount(terms),
        schedule_words=_authorized_schedule(terms),
        start_date=terms.start_date,
        end_date=terms.end_date,
    )


def _json_terms(method: PaymentMethod, terms: sched.PlanTerms, upcoming) -> dict:
    return {
        "method": method.label,
        "amount_rule": terms.amount_rule,
        "schedule": terms.schedule,
        "day_of_month": terms.day_of_month,
        "start_date": terms.start_date.isoformat(),
        "end_date": terms.end_date.isoformat() if terms.end_date else None,
        "fixed_amount": str(terms.fixed_amount) if terms.fixed_amount else None,
        "extra_amount": str(terms.extra_amount) if terms.extra_amount else None,
        "first_debits": [[d.run_date.isoformat(), str(d.amount)] for d in upcoming],
    }


def validate_terms(
    *, loan: Loan, method: PaymentMethod, terms: sched.PlanTerms, user, today: dt.date
) -> None:
    refusal = method_refusal(method, payer_id=user.pk, on=today)  # the charge gate's rule
    if refusal is not None:
        raise AutopayError(refusal.message)
    if loan.status in Loan.CLOSED_STATUSES:
        raise AutopayError("This loan takes no automatic payments.")
    if terms.schedule == sched.MONTHLY_DAY and not 1 <= (terms.day_of_month or 0) <= 28:
        raise AutopayError("Choose a day from 1 to 28.")
    if terms.schedule == sched.BIWEEKLY and terms.amount_rule == sched.AMOUNT_DUE:
        raise AutopayError("Every-two-weeks plans pay a set amount; choose another amount.")
    minimum = sched.minimum_fixed_amount(terms.schedule, loan.installment_amount)
    if terms.amount_rule == sched.FIXED and (terms.fixed_amount or 0) < minimum:
        raise AutopayError(f"A fixed amount must be at least ${minimum:,}.")
    if terms.amount_rule == sched.EXTRA and (terms.extra_amount or 0) <= 0:
        raise AutopayError("Enter the extra amount toward principal.")
    if terms.end_date is not None and terms.end_date <= terms.start_date:
        raise AutopayError("The end date must be after the start date.")
    if terms.start_date < today:
        raise AutopayError("The start date can't be in the past.")


def preview(
    *,
    loan: Loan,
    method: PaymentMethod,
    terms: sched.PlanTerms,
    now: dt.datetime,
    count: int = 3,
    plan: AutopayPlan | None = None,
):
    """What the review page shows: the authorization text and the next `count` debits. For a
    change of `plan`, the periods its cursor will take under the new terms (next_open_period:
    from its `periods_from` when monthly, none that has a debit row — paid, or skipped by the
    borrower), so the payments the borrower authorizes are the ones that will be made."""
    today = lender_local(now, loan.lender.timezone).date()
    not_before = max(terms.start_date, earliest_run_date(now, loan.lender))
    from_key, skip = None, frozenset()
    if plan is not None:
        from_key = periods_start(plan, terms.schedule)
        skip = frozenset(plan.debits.values_list("period_key", flat=True))
    upcoming = project_debits(
        terms, loan, today=today, not_before=not_before, count=count, from_key=from_key, skip=skip
    )
    return authorization_text(loan=loan, method=method, terms=terms), upcoming
