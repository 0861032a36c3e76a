"""Who may change their own due date or defer a payment, as pure rules: values in, reasons out.

An empty list of reasons means "approved automatically"; otherwise the request goes to staff
(loans/borrower_requests.py), who may still grant it. The change itself is always the staff
servicing service (loans/servicing.py), so a borrower request can never do what staff can't.

Due-date change, as lenders publish it (e.g. Ally, GM Financial, Toyota Financial help pages):
the account is current, today is not within 2 business days of the next due date, at most one
change in 12 months, and the new day is 1–28 (29–31 do not exist in every month).
Extension / deferral: the lender's own limits (Lender.extension_* fields; defaults in
docs/domain-decisions.md).
"""

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from . import calendar

NEAR_DUE_BUSINESS_DAYS = 2  # no change while the due date is this close
DUE_DAY_CHANGES_PER_12_MONTHS = 1
MONTHS_BETWEEN_DUE_DAY_CHANGES = 12
ALLOWED_DUE_DAYS = range(1, 29)  # 1–28: never 29–31


class RequestRefused(ValueError):
    """A request no one can grant (an impossible due day, a closed loan): not even staff."""


def check_due_day_choice(*, current_due_day: int, new_due_day: int) -> None:
    """Refuse a day that is not 1–28 or is the current one (raises RequestRefused)."""
    if isinstance(new_due_day, bool) or not isinstance(new_due_day, int):
        raise RequestRefused("Choose a day from 1 to 28.")
    if new_due_day not in ALLOWED_DUE_DAYS:
        raise RequestRefused(
            "Choose a day from 1 to 28: the 29th, 30th and 31st are not in every month."
        )
    if new_due_day == current_due_day:
        raise RequestRefused(f"Your payment is already due on day {new_due_day}.")


def due_day_change_reasons(
    *,
    is_past_due: bool,
    next_due_date: dt.date | None,
    last_change_on: dt.date | None,
    today: dt.date,
) -> list[str]:
    """Why a due-date change can't be approved automatically (empty: it can).

    `next_due_date` is the next contract due date on or after today; `last_change_on` the day
    the loan's due day last changed at the borrower's request (None: never)."""
    reasons = []
    if is_past_due:
        reasons.append("Your account is past due. Bring it current first.")
    if next_due_date is not None and next_due_date <= calendar.add_business_days(
        today, NEAR_DUE_BUSINESS_DAYS
    ):
        reasons.append(
            f"Your next payment is due {next_due_date:%b} {next_due_date.day}, within "
            f"{NEAR_DUE_BUSINESS_DAYS} business days. Ask again after it is paid."
        )
    if last_change_on is not None:
        again_on = last_change_on + relativedelta(months=MONTHS_BETWEEN_DUE_DAY_CHANGES)
        if today < again_on:
            reasons.append(
                f"Your due date changed on {last_change_on:%b} {last_change_on.day}, "
                f"{last_change_on.year}; you can change it once every 12 months "
                f"(next from {again_on:%b} {again_on.day}, {again_on.year})."
            )
    return reasons


@dataclass(frozen=True)
class ExtensionPolicy:
    """A lender's deferral limits (Lender.extension_* fields)."""

    max_per_loan: int  # extensions over the life of the loan
    max_per_12_months: int  # extensions in any 12 months
    min_payments_made: int  # whole installments paid before the first extension
    max_days_past_due: int  # at most this late when asking
    max_months: int  # months one extension may defer


def extension_reasons(
    *,
    policy: ExtensionPolicy,
    months: int,
    extensions_granted: list[dt.date],
    payments_made: int,
    days_past_due: int,
    installments_left: int,
    today: dt.date,
) -> list[str]:
    """Why an extension of `months` can't be approved automatically (empty: it can).

    `extensions_granted` are the days earlier extensions of this loan were applied."""
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise RequestRefused("Choose how many months to defer.")
    if installments_left < 1:
        raise RequestRefused("Your loan has no payments left to defer.")
    reasons = []
    if months > policy.max_months:
        reasons.append(
            f"One extension can defer at most {policy.max_months} "
            f"month{'s' if policy.max_months != 1 else ''}."
        )
    if len(extensions_granted) >= policy.max_per_loan:
        reasons.append(
            f"This loan already had {len(extensions_granted)} extension"
            f"{'s' if len(extensions_granted) != 1 else ''}; the limit is {policy.max_per_loan}."
        )
    year_ago = today - relativedelta(months=12)
    recent = sum(1 for day in extensions_granted if day > year_ago)
    if recent >= policy.max_per_12_months:
        reasons.append(
            f"You had {recent} extension{'s' if recent != 1 else ''} in the last 12 months; "
            f"the limit is {policy.max_per_12_months}."
        )
    if payments_made < policy.min_payments_made:
        reasons.append(
            f"An extension needs {policy.min_payments_made} payments made; "
            f"you have made {payments_made}."
        )
    if days_past_due > policy.max_days_past_due:
        reasons.append(
            f"Your account is {days_past_due} days past due; an extension needs it at most "
            f"{policy.max_days_past_due} days past due."
        )
    return reasons
