"""Promise-to-pay reminders (nightly, from `send_reminders`): the borrower is reminded once,
PROMISE_REMINDER_DAYS before the promised date (or later if the run was missed, still before
the date), unless an account flag stops collection notices (loans/flags.py)."""

import datetime as dt

from django.db.models import F, Sum
from django.urls import reverse

from loans import flags
from loans.collections import flags_by_loan
from loans.models import LoanLink, LoanPosting, PromiseToPay
from loans.permissions import OWNER_ROLES

from .notifications import notice_send

PROMISE_REMINDER_DAYS = 2  # calendar days before the promised date


def _paid_toward(promise: PromiseToPay, on: dt.date):
    return LoanPosting.objects.filter(
        loan_id=promise.loan_id,
        kind=LoanPosting.Kind.PAYMENT,
        reversal__isnull=True,
        effective_date__gte=promise.created_on,
        effective_date__lte=min(on, promise.promised_date),
    ).aggregate(total=Sum(F("fees") + F("interest") + F("principal")))["total"]


def promise_reminders(
    *, on: dt.date, flag_map: dict | None = None, lender_timezone: str | None = None
) -> int:
    """Send each open promise's reminder once (key `promise:<id>:reminder:<user>`). Without
    `flag_map`, the flags of the promises' loans are read (one query)."""
    promises = PromiseToPay.objects.filter(
        status=PromiseToPay.Status.OPEN,
        promised_date__gt=on,
        promised_date__lte=on + dt.timedelta(days=PROMISE_REMINDER_DAYS),
    ).select_related("loan__lender")
    if lender_timezone:
        promises = promises.filter(loan__lender__timezone=lender_timezone)
    promises = list(promises)  # a 2-day window of open promises: a few per thousand loans
    if flag_map is None:
        flag_map = flags_by_loan({p.loan_id for p in promises})
    sent = 0
    for promise in promises:
        periods = flag_map.get(promise.loan_id, ())
        if flags.notices_paused(periods, on) or flags.collection_notices_paused(periods, on):
            continue
        paid = _paid_toward(promise, on)
        if paid is not None and paid >= promise.amount:
            continue  # already kept: the nightly collections step marks it
        links = LoanLink.objects.filter(
            loan_id=promise.loan_id, role__in=OWNER_ROLES
        ).select_related("user")
        for link in links.order_by("pk"):
            sent += notice_send(
                kind="reminder_promise",
                dedupe_key=f"promise:{promise.pk}:reminder:{link.user_id}",
                to=link.user.email,
                subject=f"Reminder: your payment of ${promise.amount:,} by "
                f"{promise.promised_date:%b %-d}",
                template="payments/email/reminder_promise.txt",
                context={
                    "loan": promise.loan,
                    "amount": promise.amount,
                    "paid": paid,
                    "promised_date": promise.promised_date,
                    "pay_path": reverse("payments:pay", args=[promise.loan_id]),
                },
            )
    return sent
