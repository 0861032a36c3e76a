"""The autopay authorization: the exact words a borrower agrees to, and their version.

Pure: values in, text out. A change to the words is a new AUTHORIZATION_VERSION (each
AutopayAuthorization keeps the text and version the borrower saw)."""

from loans.models import Loan

from ..models import PaymentMethod
from . import schedule as sched

AUTHORIZATION_VERSION = "AP-2026-12"  # AP-2026-12: first person, one sentence per rule


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
    """The exact words the borrower agrees to (versioned: AUTHORIZATION_VERSION). The first
    sentence reads as one for the chosen rule (issue 11, item 9): what, how often, from when,
    until when, for which loan."""
    end = f"until {terms.end_date:%B %-d, %Y}" if terms.end_date else "until I cancel"
    return (
        f"I authorize iSmartPay, servicer for {loan.lender.name}, to debit {method.label} "
        f"for {_authorized_amount(terms)}, {_authorized_schedule(terms)}, starting "
        f"{terms.start_date:%B %-d, %Y}, {end}, to pay loan {loan.loan_number}. "
        "A payment date that falls on a weekend or bank holiday is moved to the business day "
        "before. No payment will be more than the loan's payoff amount. If a payment amount "
        "differs from the previous one, I will be told at least 10 days before. "
        "I can change, skip or cancel any payment until the cut-off time on the business day "
        "before it, online or by contacting iSmartPay; a cancellation made at least 3 business "
        "days before a payment always stops it. Autopay is optional: I can always pay another way."
    )
