"""What each decline and ACH return means for the borrower, in plain language, and what the
system does about it (retry rules from NACHA and target 8/9 of reliability-targets.md)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    title: str
    explanation: str
    next_steps: str
    retryable: bool = False  # a soft decline: autopay may try again (at most 3 per due date)
    disables_method: bool = False  # the account cannot be debited again
    suspends_autopay: bool = False  # autopay stops until the borrower re-authorizes
    # Whether "Try again" offers the same method: not when the decline is about the card
    # itself (expired, wrong security code), which fails the same way until it is replaced.
    retry_same_method: bool = True


CARD_DECLINES = {
    r.code: r
    for r in [
        Reason(
            "card_declined",
            "Your card was declined",
            "Your card issuer declined the payment without giving us a reason.",
            "Call the number on the back of your card, or pay with another card or a bank account.",
        ),
        Reason(
            "insufficient_funds",
            "Not enough funds",
            "Your card issuer says there isn't enough available on the card.",
            "Pay a smaller amount, use another card, or pay from your bank account.",
            retryable=True,
        ),
        Reason(
            "expired_card",
            "Your card has expired",
            "Your card issuer says this card is expired.",
            "Add your new card (same number, new expiry date) and pay again.",
            retry_same_method=False,
        ),
        Reason(
            "incorrect_cvc",
            "The security code didn't match",
            "The 3-digit code (4 on American Express) didn't match the card.",
            "Add the card again, checking the security code on the back of the card.",
            retry_same_method=False,
        ),
        Reason(
            "processing_error",
            "A temporary problem",
            "Something went wrong while processing the payment. You have not been charged.",
            "Try again in a few minutes. If it keeps happening, use another method.",
            retryable=True,
        ),
    ]
}

ACH_RETURNS = {
    r.code: r
    for r in [
        Reason(
            "R01",
            "Not enough money in the account",
            "Your bank returned the debit because the account didn't have enough funds.",
            "Make sure the money is there and pay again, or pay by card. We may try this "
            "debit again, at most twice within 180 days.",
            retryable=True,
        ),
        Reason(
            "R02",
            "The bank account is closed",
            "Your bank says this account is closed.",
            "Add an account that is open. We've turned this one off so it isn't used again.",
            disables_method=True,
        ),
        Reason(
            "R03",
            "The bank couldn't find the account",
            "The account number doesn't match an account at that bank.",
            "Check your routing and account numbers and add the account again.",
            disables_method=True,
        ),
        Reason(
            "R04",
            "The account number is invalid",
            "The account number isn't valid at that bank.",
            "Check the number on a check or your bank's app and add the account again.",
            disables_method=True,
        ),
        Reason(
            "R05",
            "Your bank says the debit wasn't authorized",
            "Your bank returned the debit as unauthorized.",
            "If you want autopay, set it up again to re-authorize it.",
            suspends_autopay=True,
        ),
        Reason(
            "R07",
            "You revoked the authorization",
            "Your bank says you withdrew permission for this debit.",
            "Autopay is paused. Set it up again if you want it back.",
            suspends_autopay=True,
        ),
        Reason(
            "R09",
            "Funds not yet available",
            "Your bank says the money wasn't available yet.",
            "We may try this debit again, at most twice within 180 days.",
            retryable=True,
        ),
        Reason(
            "R10",
            "Your bank says you didn't authorize this debit",
            "Your bank returned the debit because it was reported as not authorized.",
            "Autopay is paused until you authorize it again.",
            suspends_autopay=True,
        ),
        Reason(
            "R11",
            "Your bank didn't accept the debit's terms",
            "Your bank returned the debit as not matching what you authorized.",
            "Autopay is paused until you authorize it again.",
            suspends_autopay=True,
        ),
        Reason(
            "R20",
            "This account can't be debited",
            "The account doesn't allow this kind of debit (for example, some savings accounts).",
            "Add a checking account or pay by card.",
            disables_method=True,
        ),
        Reason(
            "R29",
            "Your bank says the debit wasn't authorized",
            "The account holder's bank returned the debit as not authorized.",
            "Autopay is paused until you authorize it again.",
            suspends_autopay=True,
        ),
    ]
}

UNKNOWN = Reason(
    "unknown",
    "The payment didn't go through",
    "The payment was not completed.",
    "Try again, or use another method.",
)


def reason_for(code: str) -> Reason:
    return CARD_DECLINES.get(code) or ACH_RETURNS.get(code) or UNKNOWN
