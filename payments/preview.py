"""`payment_preview()`: what a payment will be, computed once for the review page and for
submission (issue 12, item 5).

One selector answers, for a loan, a method, an amount choice and a day: the day the payment
counts (the lender's cut-off and business days, payments/timing.py), the amount (a payoff is
the payoff on the day it counts, interest to that day included), the card fee, the total, how
it would be split (loans/allocation.py), the authorization text and its version
(payments/authorizations.py) and the time left before today's cut-off. The signed-in review,
the guest review and payment_submit all read the effective date from `payment_effective_date`
here, so the page and the payment cannot disagree.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ismartpay.core.templatetags.ui import usd
from ismartpay.core.today import business_date
from loans import delinquency
from loans.allocation import Allocation, AllocationError, allocate, payoff_amount
from loans.selectors import contract_schedule, loan_balances_on, loan_position, loan_summary

from . import authorizations, rules
from .timing import (
    counts_after_due,
    effective_date_for,
    effective_date_for_scheduled,
    time_left_before_cutoff,
)


@dataclass(frozen=True)
class PaymentPreview:
    today: dt.date  # the lender's business date at `now`
    pay_on: dt.date
    later: bool  # scheduled for a later day (not charged now)
    effective: dt.date  # the day it counts
    counts_later: bool  # paid now, counting on a later business day (past the cut-off)
    amount: Decimal
    fee: Decimal  # the card convenience fee, $0 for a bank account
    allocation: Allocation | None  # None when it cannot apply: allocation_error says why
    allocation_error: str
    authorization_text: str  # "" for a card
    authorization_version: str
    cutoff_left: dt.timedelta | None  # None when scheduled or past today's cut-off
    after_due: dt.date | None = None  # the due date it counts after (timing.counts_after_due)

    @property
    def total(self) -> Decimal:
        return self.amount + self.fee


def payment_effective_date(
    *,
    lender,
    now: dt.datetime,
    scheduled_for: dt.date | None = None,
    business_day: dt.date | None = None,
) -> tuple[dt.date, dt.date, bool]:
    """(today, effective date, later) for a payment made at `now`: scheduled for a later day,
    it counts that day (or the next business day); made now, it counts today before the
    lender's cut-off on a business day, else the next business day. A nightly run passes its
    `business_day`: the payment counts on that date whatever the clock says."""
    today = business_day or business_date(lender, now)
    later = scheduled_for is not None and scheduled_for > today
    if later:
        return today, effective_date_for_scheduled(scheduled_for), True
    if business_day is not None:
        return today, business_day, False
    return (
        today,
        effective_date_for(now=now, lender_tz=lender.timezone, cutoff=lender.cutoff_time),
        False,
    )


def payoff_paid_now(loan, *, now: dt.datetime, pay_on: dt.date | None = None) -> Decimal:
    """The payoff a payment made at `now` (for `pay_on`, when scheduled) pays: interest to the
    day it counts, as the review charges it (the pay form offered the lender's-today payoff: at
    10:30 PM on a Saturday the payment counts on Monday and the review asked $7.02 more — the
    new-user review helper-81; and capped a payment scheduled for Dec 31 at Dec 3's payoff —
    the attacker review helper-82)."""
    _, effective, _ = payment_effective_date(lender=loan.lender, now=now, scheduled_for=pay_on)
    return payoff_amount(loan_balances_on(loan, effective))


def amounts_paid_now(loan, *, now: dt.datetime) -> dict[str, Decimal]:
    """The pay forms' amounts for a payment made at `now`: what is due and past due as of the
    lender's date, the monthly payment, and the payoff to the day it counts. When the amount
    due is the whole payoff (the last installment, a matured loan) it is that payoff too:
    paying "Amount due" after the cut-off left two days' interest and the loan open (the
    attacker review helper-82)."""
    summary = loan_summary(loan, today=business_date(loan.lender, now))
    payoff = payoff_paid_now(loan, now=now)
    whole = summary.amount_due >= summary.payoff_today
    return {
        "due": payoff if whole else summary.amount_due,
        "installment": min(loan.installment_amount, payoff),
        "payoff": payoff,
        "past_due": summary.past_due_amount,
    }


def payment_preview(
    *,
    loan,
    method,
    amount: Decimal,
    now: dt.datetime,
    pay_on: dt.date | None = None,
    is_payoff: bool = False,
    principal_only: bool = False,
    guest: bool = False,
) -> PaymentPreview:
    """The payment as the payer will confirm it; see the module docstring. The loan's balances
    on the effective date are computed once and give both the payoff and the allocation."""
    lender = loan.lender
    today, effective, later = payment_effective_date(lender=lender, now=now, scheduled_for=pay_on)
    balances = loan_balances_on(loan, effective)
    position = loan_position(loan, today)
    next_due = delinquency.next_payment_due_date(contract_schedule(loan), position)
    if is_payoff:  # a payoff is the payoff on the day it counts, interest to that day included
        amount = payoff_amount(balances)
    text = authorization_text(
        loan=loan, method=method, amount=amount, effective=effective, guest=guest
    )
    try:
        allocation, allocation_error = allocate(balances, amount, principal_only=principal_only), ""
    except AllocationError as exc:
        allocation, allocation_error = None, str(exc)
    return PaymentPreview(
        today=today,
        pay_on=pay_on or today,
        later=later,
        effective=effective,
        counts_later=not later and effective > today,
        amount=amount,
        fee=rules.card_fee(method_kind=method.kind, lender_card_fee=lender.card_convenience_fee),
        allocation=allocation,
        allocation_error=allocation_error,
        authorization_text=text,
        authorization_version=authorizations.ONE_TIME_VERSION if text else "",
        cutoff_left=None
        if later
        else time_left_before_cutoff(now=now, lender_tz=lender.timezone, cutoff=lender.cutoff_time),
        after_due=counts_after_due(next_due, today, effective),
    )


def authorization_text(*, loan, method, amount: Decimal | None, effective=None, guest=False) -> str:
    """The one-time bank debit authorization the payer confirms (kept on the payment); "" for a
    card. A guest's reads from the guest template."""
    if method.kind != "bank":
        return ""
    if guest:
        return guest_ach_text(loan, amount, account=method.label)
    return authorizations.one_time_ach_text(
        lender_name=loan.lender.name,
        loan_number=loan.loan_number,
        account_label=method.label,
        amount=amount,
        on=effective,
    )


def guest_ach_text(loan, amount: Decimal | None, *, account: str = "") -> str:
    """The authorization the guest agrees to (on the pay page) and confirms (on the review)."""
    return authorizations.GUEST_ACH_TEMPLATE.format(
        lender=loan.lender.name,
        amount=usd(amount) if amount is not None else "the amount above",
        account=account or "the bank account above",
    )
