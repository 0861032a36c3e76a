"""Every authorization text a payer agrees to, in one versioned module.

Regulation E (12 CFR 1005.10(b)) requires a written authorization for preauthorized (recurring)
debits; NACHA requires one for every consumer ACH debit, one-time ones included. The exact words
shown are kept on the payment (Payment.authorization_text) or the autopay authorization, with
the version of this module's texts they came from, so a dispute can show what was agreed.

Change a text only together with its version constant.
"""

import datetime as dt
from decimal import Decimal

# The one-time texts (signed-in ACH, guest ACH, phone script) are versioned together.
ONE_TIME_VERSION = "OT-2026-12"
# Autopay's standing authorization (stored on AutopayAuthorization.text_version).
AUTOPAY_VERSION = "AP-2026-12"  # AP-2026-12: first person, one sentence per rule

# Guest ACH: shown on the guest pay page (with placeholders) and confirmed on its review.
GUEST_ACH_TEMPLATE = (
    "I authorize {lender}, through iSmartPay, to make a one-time electronic debit of {amount} "
    "from {account}, on or after today. I'm an authorized signer on that account. "
    "If the debit is returned, my lender may charge a returned-payment fee. To cancel, contact "
    "my lender before the debit is sent."
)

# Phone: read to the caller by the agent, then recorded with who authorized it.
PHONE_SCRIPT_TEMPLATE = (
    "You authorize {lender} to charge {amount} to {method} today, {date}, as a one-time "
    "payment on loan {loan_number}. This is a single payment, not a recurring one."
)


def _long_date(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def one_time_ach_text(
    *, lender_name: str, loan_number: str, account_label: str, amount: Decimal, on: dt.date
) -> str:
    """The signed-in borrower's one-time bank debit authorization (pay review)."""
    return (
        f"I authorize iSmartPay, servicer for {lender_name}, to debit ${amount:,} "
        f"once from {account_label} on or after {_long_date(on)}, for loan {loan_number}."
    )


def phone_script(
    *, lender_name: str, loan_number: str, method_label: str, amount: Decimal, on: dt.date
) -> str:
    """What the agent reads to the caller before taking a payment by phone."""
    return PHONE_SCRIPT_TEMPLATE.format(
        lender=lender_name,
        amount=f"${amount:,}",
        method=method_label,
        date=_long_date(on),
        loan_number=loan_number,
    )


def autopay_text(
    *,
    lender_name: str,
    loan_number: str,
    account_label: str,
    amount_words: str,
    schedule_words: str,
    start_date: dt.date,
    end_date: dt.date | None,
) -> str:
    """The standing authorization an autopay plan's owner agrees to (AUTOPAY_VERSION). The
    first sentence reads as one for the chosen rule: what, how often, from when, until when,
    for which loan (the words come from payments/autopay/terms.py, in the first person)."""
    end = f"until {_long_date(end_date)}" if end_date else "until I cancel"
    return (
        f"I authorize iSmartPay, servicer for {lender_name}, to debit {account_label} "
        f"for {amount_words}, {schedule_words}, starting {_long_date(start_date)}, {end}, "
        f"to pay loan {loan_number}. "
        "A payment date that falls on a weekend or bank holiday is moved to the business day "
        "before. No payment will be more than the loan's payoff amount. If a payment amount "
        "differs from the previous one, I will be told at least 10 days before. "
        "I can change, skip or cancel any payment until the cut-off time on the business day "
        "before it, online or by contacting iSmartPay; a cancellation made at least 3 business "
        "days before a payment always stops it. Autopay is optional: I can always pay another way."
    )
