"""Velocity and sanity rules: a payment that breaks one is held for staff review, not sent.

Plain queries over recent payments; the caller holds the loan's row lock, so two requests
cannot both slip under a limit.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ismartpay.core.today import business_date
from loans.selectors import loan_summary

from .models import Payment, PaymentMethod
from .models.payment import GATEWAY_CHANNELS

ATTEMPTS = "attempts on this loan in an hour"
CARDS = "different cards in 24 hours"
NEW_METHOD = "a method added in the last 24 hours paying more than 3 installments"
# What the held payment's page tells the borrower for each flag (staff see the flag itself).
PLAIN_REASONS = {
    ATTEMPTS: "several payments were tried on this loan within an hour.",
    CARDS: "several different cards were used within a day.",
    NEW_METHOD: "this card or account was added in the last day and the amount is more than "
    "three monthly payments.",
}


@dataclass(frozen=True)
class RiskPolicy:
    max_attempts_per_loan_hour: int = 5
    max_cards_per_payer_day: int = 3
    new_method_age: dt.timedelta = dt.timedelta(hours=24)
    new_method_installments: Decimal = Decimal(3)  # a new method paying > 3 installments


POLICY = RiskPolicy()


def risk_flags(
    *,
    loan,
    method: PaymentMethod,
    amount: Decimal,
    payer,
    now: dt.datetime,
    policy: RiskPolicy = POLICY,
    suggested: frozenset[Decimal] | None = None,
) -> list[str]:
    """Reasons to hold this payment for review; empty when it may go straight through.

    `suggested` are the amounts the portal itself offers for this loan (amount due, monthly
    payment); paying one of them, or the payoff, is never a reason on its own. When None they
    are computed from the loan for `now`'s date.
    """
    flags = []
    # Attempts are charges tried through the processor (borrower, guest, phone, autopay).
    # Money staff record as received in hand (checks, wires, cash networks, lockbox and
    # remittance lines) was never a try at paying: it does not count toward the limit.
    attempts = Payment.objects.filter(
        loan=loan, channel__in=GATEWAY_CHANNELS, created_at__gte=now - dt.timedelta(hours=1)
    )
    if attempts.count() >= policy.max_attempts_per_loan_hour:
        flags.append(f"{policy.max_attempts_per_loan_hour}+ {ATTEMPTS}")
    if payer is not None and method.kind == PaymentMethod.Kind.CARD:
        cards = set(
            Payment.objects.filter(
                payer=payer,
                method_kind=PaymentMethod.Kind.CARD,
                created_at__gte=now - dt.timedelta(days=1),
            ).values_list("method_id", flat=True)
        ) | {method.pk}
        if len(cards) > policy.max_cards_per_payer_day:
            flags.append(f"{len(cards)} {CARDS}")
    brand_new = method.created_at is not None and method.created_at > now - policy.new_method_age
    large = amount > loan.installment_amount * policy.new_method_installments
    if brand_new and large and not _portal_suggested(loan, amount, now, suggested):
        flags.append(NEW_METHOD)
    return flags


def _portal_suggested(loan, amount: Decimal, now: dt.datetime, suggested) -> bool:
    """Whether `amount` is one the pay page offered: the amount due, the monthly payment, or
    the payoff. A payoff is at least today's payoff (interest accrues to the effective date,
    and the charge gate refuses more than the payoff on that date)."""
    summary = loan_summary(loan, today=business_date(loan.lender, now))
    if suggested is None:
        suggested = frozenset({summary.amount_due, loan.installment_amount})
    return amount in suggested or (summary.payoff_today > 0 and amount >= summary.payoff_today)


def borrower_hold_reasons(flags: list[str]) -> list[str]:
    """The plain-language reason for each stored flag, for the borrower's page."""
    reasons = []
    for flag in flags:
        for key, text in PLAIN_REASONS.items():
            if flag.endswith(key) and text not in reasons:
                reasons.append(text)
    return reasons
