"""Velocity and sanity rules: a payment that breaks one is held for staff review, not sent.

Plain queries over recent payments; the caller holds the loan's row lock, so two requests
cannot both slip under a limit.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from .models import Payment, PaymentMethod


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
) -> list[str]:
    """Reasons to hold this payment for review; empty when it may go straight through."""
    flags = []
    attempts = Payment.objects.filter(loan=loan, created_at__gte=now - dt.timedelta(hours=1))
    if attempts.count() >= policy.max_attempts_per_loan_hour:
        flags.append(f"{policy.max_attempts_per_loan_hour}+ attempts on this loan in an hour")
    if payer is not None and method.kind == PaymentMethod.Kind.CARD:
        cards = set(
            Payment.objects.filter(
                payer=payer,
                method_kind=PaymentMethod.Kind.CARD,
                created_at__gte=now - dt.timedelta(days=1),
            ).values_list("method_id", flat=True)
        ) | {method.pk}
        if len(cards) > policy.max_cards_per_payer_day:
            flags.append(f"{len(cards)} different cards in 24 hours")
    brand_new = method.created_at is not None and method.created_at > now - policy.new_method_age
    if brand_new and amount > loan.installment_amount * policy.new_method_installments:
        flags.append("a method added in the last 24 hours paying more than 3 installments")
    return flags
