"""Collections: staff notes, promises to pay and account flags (one service each, audited), the
reads the jobs need (`flags_by_loan`), and the nightly step (`collections_run`) that stores each
open loan's days-past-due bucket and marks promises kept or broken from the postings.

The rules of what a flag changes live in loans/flags.py; the bucket rule in loans/delinquency.py.
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.audit import audit_record
from ismartpay.core.arrays import any_of
from ismartpay.core.money import ZERO, is_cents
from ismartpay.core.today import business_date

from . import delinquency, flags, lock_objects
from .models import AccountFlag, ContactNote, DelinquencySnapshot, Loan, LoanPosting, PromiseToPay
from .selectors import contract_schedule, loan_position

OPEN_LOAN = (Loan.Status.CURRENT, Loan.Status.PAST_DUE)
SNAPSHOT_BATCH = 1000
MIN_REASON = 10  # characters, as for the other staff actions
# A promise to pay is for a date from the lender's business date through this many days on.
# Typical servicing practice: a promise is a short-term commitment (collectors take one for the
# next paycheck or benefit date, rarely beyond two cycles); a longer arrangement is a
# deferment or modification, with its own approval. Promise reminders and "kept/broken" are
# only meaningful inside that window.
PROMISE_MAX_DAYS = 60
# How far from the lender's business date a flag may start or end, in days. Long enough for
# the longest known terms (a chapter 13 plan runs up to 5 years, 11 U.S.C. § 1322(d); military
# orders are shorter), short enough to catch a mistyped year (9999, 2206).
FLAG_HORIZON_DAYS = 5 * 366


class CollectionsError(ValueError):
    """A note, promise or flag that cannot be recorded; the message is for staff."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def _require_text(text: str, *, field: str, what: str) -> str:
    text = (text or "").strip()
    if len(text) < MIN_REASON:
        raise CollectionsError(f"Give {what} of at least {MIN_REASON} characters.", field=field)
    return text


# --- reads -------------------------------------------------------------------------------------
def flags_by_loan(loan_ids: Iterable[int] | None = None) -> dict[int, tuple[flags.FlagPeriod, ...]]:
    """Every flag period of the given loans (all loans when None), in one query."""
    rows = AccountFlag.objects.all()
    if loan_ids is not None:
        rows = rows.filter(any_of("loan_id", loan_ids))
    out: dict[int, list[flags.FlagPeriod]] = defaultdict(list)
    for loan_id, kind, start, end in rows.values_list("loan_id", "kind", "start_date", "end_date"):
        out[loan_id].append(flags.FlagPeriod(kind, start, end))
    return {loan_id: tuple(periods) for loan_id, periods in out.items()}


# --- staff actions -----------------------------------------------------------------------------
def contact_note_add(*, loan_id: int, channel: str, outcome: str, text: str, actor) -> ContactNote:
    """Append a contact note (call, email, letter, SMS) and its audit row."""
    if channel not in ContactNote.Channel.values:
        raise CollectionsError("Choose a channel.", field="channel")
    if outcome not in ContactNote.Outcome.values:
        raise CollectionsError("Choose an outcome.", field="outcome")
    text = (text or "").strip()
    if not text:
        raise CollectionsError("Write what happened.", field="text")
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        note = ContactNote.objects.create(
            loan=loan, channel=channel, outcome=outcome, text=text, author=actor
        )
        audit_record(
            actor=actor,
            action="collections.note_add",
            target=loan,
            reason=text[:500],
            details={"note": note.pk, "channel": channel, "outcome": outcome},
        )
    return note


def promise_date_check(*, promised_date: dt.date, on: dt.date) -> None:
    """A promise is for `on` (the lender's business date) through PROMISE_MAX_DAYS later."""
    if promised_date < on:
        raise CollectionsError("The promised date cannot be in the past.", field="promised_date")
    latest = on + dt.timedelta(days=PROMISE_MAX_DAYS)
    if promised_date > latest:
        raise CollectionsError(
            f"A promise to pay can be at most {PROMISE_MAX_DAYS} days out (by {latest}); a "
            "longer arrangement is a deferment or modification.",
            field="promised_date",
        )


def promise_add(
    *, loan_id: int, promised_date: dt.date, amount: Decimal, actor, on: dt.date | None = None
) -> PromiseToPay:
    """Record the borrower's promise to pay `amount` by `promised_date`.

    One open promise per loan (refused otherwise, and a partial unique index); the date within
    `promise_date_check` of `on` (default: the loan's lender's business date), the amount
    positive cents, the loan open."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise CollectionsError("The amount must be positive.", field="amount")
    if not is_cents(amount):
        raise CollectionsError("The amount can have at most 2 decimals.", field="amount")
    try:
        with transaction.atomic():
            loan = lock_objects.loan_for_update(loan_id)
            on = on or business_date(loan.lender)
            promise_date_check(promised_date=promised_date, on=on)
            if loan.status not in OPEN_LOAN:
                raise CollectionsError(f"The loan is {loan.get_status_display().lower()}.")
            if PromiseToPay.objects.filter(loan=loan, status=PromiseToPay.Status.OPEN).exists():
                raise CollectionsError("This loan already has an open promise to pay.")
            _refuse_if_collection_stopped(loan, on)
            promise = PromiseToPay.objects.create(
                loan=loan,
                promised_date=promised_date,
                amount=amount,
                created_on=on,
                created_by=actor,
            )
            audit_record(
                actor=actor,
                action="collections.promise_add",
                target=loan,
                details={"promise": promise.pk, "date": str(promised_date), "amount": str(amount)},
            )
    except IntegrityError as exc:  # a concurrent promise won the unique index
        raise CollectionsError("This loan already has an open promise to pay.") from exc
    return promise


def _refuse_if_collection_stopped(loan: Loan, on: dt.date) -> None:
    """No promise to pay while a bankruptcy or deceased flag covers `on` (loans/flags.py
    STOP_COLLECTION_CONTACT: the automatic stay, 11 U.S.C. § 362(a)(6); the estate)."""
    stopped = flags.collection_contact_stopped(flags_by_loan([loan.pk]).get(loan.pk, ()), on)
    if stopped:
        raise CollectionsError(
            f"This loan has an active {' and '.join(stopped)} flag: collection contact is "
            "stopped, so no promise to pay is taken."
        )


def _refresh_rate_caps(loan: Loan) -> None:
    """Rewrite the locked loan's SCRA caps from its military flags (read by accrual)."""
    periods = flags_by_loan([loan.pk]).get(loan.pk, ())
    loan.rate_caps = flags.caps_to_record(flags.apr_cap_periods(periods))
    loan.save(update_fields=["rate_caps", "updated_at"])


def flag_set_check(*, loan: Loan, kind: str, start_date: dt.date, end_date: dt.date | None):
    """A known flag, an end date where the flag needs one (flags.END_REQUIRED), and the dates
    within `flag_dates_check`."""
    if kind not in flags.KINDS:
        raise CollectionsError("Choose a flag.", field="kind")
    flag_dates_check(loan=loan, start_date=start_date, end_date=end_date)
    if kind in flags.END_REQUIRED and end_date is None:
        raise CollectionsError(
            "A hardship flag needs an end date (the last day fees are paused).", field="end_date"
        )


def flag_dates_check(*, loan: Loan, start_date: dt.date, end_date: dt.date | None) -> None:
    """A flag starts no earlier than the loan's contract date and ends on or after its start
    (both days inclusive: a one-day flag ends the day it starts); neither date is more than
    FLAG_HORIZON_DAYS from the loan's lender's business date."""
    today = business_date(loan.lender)
    horizon = dt.timedelta(days=FLAG_HORIZON_DAYS)
    if start_date < loan.contract_date:
        raise CollectionsError(
            f"The flag cannot start before the loan began ({loan.contract_date}).",
            field="start_date",
        )
    if start_date > today + horizon:
        raise CollectionsError(
            f"The start date is too far ahead (at most {today + horizon}).", field="start_date"
        )
    if end_date is not None:
        flag_end_check(loan=loan, start_date=start_date, end_date=end_date)


def flag_end_check(*, loan: Loan, start_date: dt.date, end_date: dt.date) -> None:
    """The end half of `flag_dates_check` (ending a flag checks only its new end)."""
    today = business_date(loan.lender)
    horizon = dt.timedelta(days=FLAG_HORIZON_DAYS)
    if end_date < start_date:
        raise CollectionsError("The end date is before the start date.", field="end_date")
    if abs(end_date - today) > horizon:
        raise CollectionsError(
            f"The end date must be between {today - horizon} and {today + horizon}.",
            field="end_date",
        )


def account_flag_set(
    *,
    loan_id: int,
    kind: str,
    start_date: dt.date,
    end_date: dt.date | None,
    reason: str,
    actor,
) -> AccountFlag:
    """Set a flag for `start_date`..`end_date` (None: until ended), audited; the dates within
    `flag_dates_check`."""
    reason = _require_text(reason, field="reason", what="a reason")
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        flag_set_check(loan=loan, kind=kind, start_date=start_date, end_date=end_date)
        flag = AccountFlag.objects.create(
            loan=loan,
            kind=kind,
            start_date=start_date,
            end_date=end_date,
            reason=reason,
            set_by=actor,
        )
        if kind == flags.MILITARY:
            _refresh_rate_caps(loan)
        audit_record(
            actor=actor,
            action="account_flag.set",
            target=loan,
            reason=reason,
            details={
                "flag": flag.pk,
                "kind": kind,
                "start": str(start_date),
                "end": str(end_date) if end_date else None,
            },
        )
    return flag


def _refuse_retroactive_end(flag: AccountFlag, *, loan: Loan, end_date: dt.date) -> None:
    """A flag that changes money (SCRA cap, hardship fee pause; flags.CHANGES_MONEY) was set
    with a second supervisor's approval; ending it before the lender's business date would
    re-price days already covered, so one person may end it only from today on (attacker
    review, round 2: a retroactive end undid 90 days of an approved 6 % cap). A correction of
    days already past is a credit or waiver, four-eyed above the threshold."""
    today = business_date(loan.lender)
    if flag.kind in flags.CHANGES_MONEY and end_date < today:
        raise CollectionsError(
            f"A {flag.get_kind_display().lower()} flag can't end before today ({today}): the "
            "days it already covered stay covered.",
            field="end_date",
        )


def account_flag_end(*, flag_id: int, end_date: dt.date, reason: str, actor) -> AccountFlag:
    """End a flag on `end_date` (its last day), audited; an ended flag is never reopened."""
    reason = _require_text(reason, field="reason", what="a reason")
    loan_id = AccountFlag.objects.values_list("loan_id", flat=True).get(pk=flag_id)
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        flag = AccountFlag.objects.select_for_update().get(pk=flag_id)
        if flag.ended_by_id is not None:
            raise CollectionsError("This flag was already ended.")
        if end_date < flag.start_date:
            raise CollectionsError("The end date is before the flag's start.", field="end_date")
        flag_end_check(loan=loan, start_date=flag.start_date, end_date=end_date)
        _refuse_retroactive_end(flag, loan=loan, end_date=end_date)
        if flag.end_date is not None and end_date > flag.end_date:
            raise CollectionsError(
                f"The flag already ends on {flag.end_date}; set a new flag to extend it.",
                field="end_date",
            )
        before = str(flag.end_date) if flag.end_date else None
        flag.end_date, flag.ended_by, flag.end_reason = end_date, actor, reason
        flag.save(update_fields=["end_date", "ended_by", "end_reason"])
        if flag.kind == flags.MILITARY:
            _refresh_rate_caps(loan)
        audit_record(
            actor=actor,
            action="account_flag.end",
            target=loan,
            reason=reason,
            details={"flag": flag.pk, "kind": flag.kind, "before": before, "end": str(end_date)},
        )
    return flag


# --- the nightly step --------------------------------------------------------------------------
def snapshots_store(*, on: dt.date, lender_timezone: str | None = None) -> Counter:
    """Store each open loan's days past due, bucket and amount past due as of `on`.

    One row per (loan, date): a second run the same night rewrites it (INSERT … ON CONFLICT
    DO UPDATE), never adds one. Days past due: `delinquency.days_past_due`."""
    loans = Loan.objects.filter(status__in=OPEN_LOAN).select_related("lender").order_by("pk")
    if lender_timezone:
        loans = loans.filter(lender__timezone=lender_timezone)
    counts: Counter = Counter()
    batch: list[DelinquencySnapshot] = []

    def flush():
        DelinquencySnapshot.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["loan", "business_date"],
            update_fields=["days_past_due", "bucket", "amount_past_due", "computed_at"],
        )
        batch.clear()

    for loan in loans.iterator(chunk_size=SNAPSHOT_BATCH):
        schedule, position = contract_schedule(loan), loan_position(loan, on)
        days = delinquency.days_past_due(schedule, position, on)
        bucket = delinquency.dpd_bucket(days)
        counts[bucket] += 1
        batch.append(
            DelinquencySnapshot(
                loan=loan,
                business_date=on,
                days_past_due=days,
                bucket=bucket,
                amount_past_due=delinquency.past_due_amount(schedule, position, on),
            )
        )
        if len(batch) >= SNAPSHOT_BATCH:
            flush()
    if batch:
        flush()
    return counts


def promises_resolve(*, on: dt.date, lender_timezone: str | None = None) -> Counter:
    """Mark open promises kept (payments posted from the promise's day to its date add up to
    the amount) or broken (the date has passed, `on` is at least the day after, and they do
    not). Conditional UPDATEs: a second run changes nothing."""
    paid = (
        LoanPosting.objects.filter(
            loan=OuterRef("loan"),
            kind=LoanPosting.Kind.PAYMENT,
            reversal__isnull=True,
            effective_date__gte=OuterRef("created_on"),
            effective_date__lte=OuterRef("promised_date"),
        )
        .values("loan")
        .annotate(total=Sum(F("fees") + F("interest") + F("principal")))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    promises = PromiseToPay.objects.filter(status=PromiseToPay.Status.OPEN).annotate(
        paid=Coalesce(Subquery(paid, output_field=money), Value(ZERO), output_field=money)
    )
    if lender_timezone:
        promises = promises.filter(loan__lender__timezone=lender_timezone)
    counts: Counter = Counter()
    for promise in promises:
        if promise.paid >= promise.amount:
            status = PromiseToPay.Status.KEPT
        elif on > promise.promised_date:
            status = PromiseToPay.Status.BROKEN
        else:
            continue
        counts[status] += PromiseToPay.objects.filter(
            pk=promise.pk, status=PromiseToPay.Status.OPEN
        ).update(status=status, paid_amount=promise.paid, resolved_on=on)
    return counts


def collections_run(*, on: dt.date, lender_timezone: str | None = None) -> Counter:
    """The nightly `collections` step: buckets, then promises."""
    counts = snapshots_store(on=on, lender_timezone=lender_timezone)
    counts.update(promises_resolve(on=on, lender_timezone=lender_timezone))
    return counts
