"""The rules about paying, as pure functions: whether a method can pay, the card fee, what a
loan can take, when principal-only is allowed. Values in, a refusal (or an amount) out; no ORM,
no clock. The charge gate (services/gate.py) calls them under the loan's lock right before the
processor is called; forms and pages call the same functions to explain them early.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ismartpay.core.money import ZERO

# Refusal codes: what kind of guard said no (the autopay engine acts on the kind).
LOAN_CLOSED = "loan_closed"
ACCESS = "access"
METHOD = "method"
AMOUNT = "amount"
PRINCIPAL_ONLY = "principal_only"
AUTOPAY = "autopay"  # the autopay mandate lapsed: plan not active, or a flag pauses autopay


@dataclass(frozen=True)
class Refusal:
    """Why a payment may not take money now; `message` is written for the payer."""

    code: str
    message: str


def method_refusal(method, *, payer_id: int | None, on: dt.date) -> Refusal | None:
    """A method can pay when it is still on file, not disabled (e.g. an R02 return), not an
    expired card on `on`, a borrower's bank account has passed micro-deposit verification
    (NACHA WEB debit rule: validate the account before the first debit), and it belongs to the
    payer (a guest's one-off method belongs to nobody)."""
    if method is None or not method.is_usable:
        label = method.label if method is not None else "That payment method"
        return Refusal(METHOD, f"{label} can no longer be used. Choose another method.")
    if method.is_expired(on=on):
        return Refusal(METHOD, f"{method.label} has expired. Add the new card or choose another.")
    if method.needs_verification:
        return Refusal(
            METHOD,
            f"Confirm the two small deposits we sent to {method.label} before paying from it.",
        )
    if method.owner_id != payer_id:
        return Refusal(METHOD, "Choose one of your own payment methods.")
    return None


def card_fee(*, method_kind: str, lender_card_fee: Decimal) -> Decimal:
    """The lender's convenience fee, in dollars, charged on top of a card payment (never on a
    bank debit)."""
    return lender_card_fee if method_kind == "card" else ZERO


def principal_only_refusal(*, past_due: Decimal, unpaid_fees: Decimal) -> Refusal | None:
    """Principal-only is for a loan that is up to date: what is past due, and its fees, come
    first (as the lenders who offer principal-only payments publish). `past_due` is the
    installments' part (the figure the dashboard shows as past due); fees are named apart."""
    if past_due + unpaid_fees <= ZERO:
        return None
    behind = []
    if past_due > ZERO:
        behind.append(f"the ${past_due:,} that is past due")
    if unpaid_fees > ZERO:
        behind.append(f"${unpaid_fees:,} of fees")
    return Refusal(
        PRINCIPAL_ONLY,
        "Principal-only payments are for loans that are up to date. First pay "
        + " and ".join(behind)
        + "; then extra payments can go to principal.",
    )


def amount_refusal(
    *, amount: Decimal, ceiling: Decimal, in_flight: Decimal, principal_only: bool
) -> Refusal | None:
    """`ceiling` is what the loan can take on the payment's effective date (the payoff, or the
    principal for principal-only); money already on its way to the loan (`in_flight`) is taken
    off it first."""
    if amount <= ZERO:
        return Refusal(AMOUNT, "Enter an amount of at least $0.01.")
    room = max(ceiling - in_flight, ZERO)
    if amount <= room:
        return None
    what = "principal balance" if principal_only else "payoff amount"
    if in_flight > ZERO:
        if room == ZERO:
            return Refusal(
                AMOUNT,
                f"A payment of ${in_flight:,} is already on its way to this loan and covers the "
                f"{what}. Nothing more can be paid now.",
            )
        return Refusal(
            AMOUNT,
            f"A payment of ${in_flight:,} is already on its way to this loan, so the most it can "
            f"take now is ${room:,}.",
        )
    if ceiling == ZERO:
        return Refusal(AMOUNT, "This loan has nothing left to pay.")
    return Refusal(AMOUNT, f"The most you can pay is the {what}, ${ceiling:,}.")
