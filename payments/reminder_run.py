"""The nightly reminders, set-based: loans in chunks of consecutive ids, a fixed number of
statements per chunk however many loans or notices it holds, memory bounded by the chunk.

Per chunk (`reminders_chunk`):
1. one query selects the (loan, owner) pairs that may be owed a reminder on the business date:
   open loans whose first uncovered installment is due by `on` + the owner's reminder days
   (past due, or in the window). The SQL bound is a superset (it never runs later than the
   real due date: see `_MAY_BE_DUE`); the exact decision is the pure rule in
   payments/reminders.py (`loan_reminders`), with the loan's flags, active plan and payments
   on the way (scheduled or held: payments/upcoming.py), read in one query each for the chunk;
2. the notices owed are written in one INSERT … ON CONFLICT DO NOTHING on their dedupe key
   (loan, kind, date, recipient): a key already written, by an earlier or a racing run, is not
   written again, so a run twice, or after a crash, owes nothing twice;
3. they are delivered as one batch (payments/notices_batch.py `notices_deliver`: one claim
   UPDATE, one mail connection, one UPDATE marking them sent). A run killed between 2 and 3
   leaves unclaimed rows that the next run of the chunk or the minute sweep delivers.

With `fan_out`, each chunk is one Celery task (`reminders.chunk`) and the job returns once
they are queued.
"""

import datetime as dt
import logging
from collections import Counter, defaultdict

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from accounts.models import Profile
from loans.collections import flags_by_loan
from loans.models import Lender, Loan, LoanLink
from loans.permissions import OWNER_ROLES

from .collections_notices import promise_reminders
from .models import AutopayPlan
from .notices_batch import notices_deliver, notices_write
from .reminders import DEFAULT_REMIND_DAYS, Owner, amount_change_notices, loan_reminders
from .upcoming import payments_on_the_way

logger = logging.getLogger("ismartpay.jobs")

CHUNK = 2000  # loans per chunk: ~1-3 s of work, a few MB of rows
OPEN_LOAN = (Loan.Status.CURRENT, Loan.Status.PAST_DUE)

# The first uncovered installment's due date, never later than the real one
# (loans/delinquency.py `next_payment_due_date`): installments covered = paid // installment,
# at most term - 1; adding months to the first due date keeps its day, which is at most the
# due day (the real rule clamps the due day to the month's end), so this date is the real one
# or up to 3 days earlier. A loan paid off or fully covered is let through and refused by the
# pure rule. The owner's window: their reminder days, 0 with email reminders off (past-due
# notices still go), the default without a profile.
_MAY_BE_DUE = f"""
    ({{loan}}.first_due_date + make_interval(months => LEAST(
        FLOOR({{loan}}.paid_toward_installments / {{loan}}.installment_amount)::int,
        {{loan}}.term_months - 1)))::date
    <= %s::date + COALESCE(
        (SELECT CASE WHEN p.remind_by_email THEN p.remind_days_before ELSE 0 END
         FROM {Profile._meta.db_table} p WHERE p.user_id = {{link}}.user_id),
        {DEFAULT_REMIND_DAYS})
""".format(loan=Loan._meta.db_table, link=LoanLink._meta.db_table)  # noqa: S608 - our tables


def chunk_bounds(size: int = CHUNK):
    """(first id, last id or None) of consecutive chunks of `size` loans, by an index-only
    scan per chunk; the last chunk is open-ended so a loan added during the run is seen."""
    low = 0
    while True:
        ids = Loan.objects.filter(pk__gt=low).order_by("pk").values_list("pk", flat=True)
        last = list(ids[size - 1 : size])
        if not last:
            yield low + 1, None
            return
        yield low + 1, last[0]
        low = last[0]


def _owner_links(first: int, last: int | None, on: dt.date, lender_timezone: str | None):
    links = (
        LoanLink.objects.filter(
            loan_id__gte=first,
            role__in=OWNER_ROLES,
            loan__status__in=OPEN_LOAN,
        )
        .select_related("loan", "user__profile")  # the lender once per chunk: _with_lenders
        .order_by("loan_id", "pk")
    )
    if connection.vendor == "postgresql":
        # The SQL bound is PostgreSQL's (make_interval, ::date). The embedded SQLite database
        # bin/run uses holds a handful of loans: every open loan's owners go to the pure rule.
        links = links.filter(RawSQL(_MAY_BE_DUE, [on], output_field=BooleanField()))  # noqa: S611
    if last is not None:
        links = links.filter(loan_id__lte=last)
    if lender_timezone:
        links = links.filter(loan__lender__timezone=lender_timezone)
    return links


def reminders_chunk(
    *, first: int, last: int | None, on: dt.date, lender_timezone: str | None = None
) -> Counter:
    """Decide, write and deliver the reminders owed on `on` for loans `first`..`last` (ids,
    inclusive; None: to the end). Counts: due (loans looked at), charged (notices sent by
    this call), failed (loans whose rule raised, sends that failed: the sweep retries those)."""
    counts, drafts = chunk_drafts(first=first, last=last, on=on, lender_timezone=lender_timezone)
    sent, failed = notices_deliver(notices_write(drafts)) if drafts else (0, 0)
    counts["charged"] += sent
    counts["failed"] += failed
    return counts


def _with_lenders(loans) -> None:
    """The emails' footer names the lender: a chunk's few lenders in one query, not a
    30-column join repeated on every row."""
    lenders = Lender.objects.in_bulk({loan.lender_id for loan in loans})
    for loan in loans:
        loan.lender = lenders[loan.lender_id]


def chunk_drafts(
    *, first: int, last: int | None, on: dt.date, lender_timezone: str | None = None
) -> tuple[Counter, list]:
    """The notices owed on `on` for loans `first`..`last`, in five queries (owners with their
    loans and profiles, lenders, active plans, flags, payments on the way), decided by
    `loan_reminders`."""
    counts: Counter = Counter()
    loans: dict[int, Loan] = {}
    owners: dict[int, list[Owner]] = defaultdict(list)
    for link in _owner_links(first, last, on, lender_timezone):
        loans.setdefault(link.loan_id, link.loan)
        owners[link.loan_id].append(Owner.of(link.user))
    if not loans:
        return counts, []
    _with_lenders(loans.values())
    plans = {
        p.loan_id: p
        for p in AutopayPlan.objects.filter(
            status=AutopayPlan.Status.ACTIVE, loan_id__in=list(loans)
        ).select_related("method")
    }
    flag_map = flags_by_loan(list(loans))
    incoming = payments_on_the_way(list(loans), today=on)
    drafts = []
    for loan_id, loan in loans.items():
        counts["due"] += 1
        try:
            drafts += loan_reminders(
                loan,
                owners[loan_id],
                plans.get(loan_id),
                on,
                flag_map.get(loan_id, ()),
                incoming[loan_id],
            )
        except Exception:
            logger.exception("reminders for loan %s failed", loan_id)
            counts["failed"] += 1
    return counts, drafts


def _amount_change_plans(on: dt.date, lender_timezone: str | None):
    """Active plans whose next debit falls 10–14 days ahead with a previous amount to compare
    (the Reg E rule, payments/reminders.py `amount_change_notices`), a chunk at a time."""
    from .reminders import AMOUNT_NOTICE_DAYS

    low, high = (on + dt.timedelta(days=d) for d in AMOUNT_NOTICE_DAYS)
    plans = AutopayPlan.objects.filter(
        status=AutopayPlan.Status.ACTIVE,
        last_amount__isnull=False,
        next_run_date__gte=low,
        next_run_date__lte=high,
    ).select_related("loan__lender", "owner", "method")
    if lender_timezone:
        plans = plans.filter(loan__lender__timezone=lender_timezone)
    return plans.order_by("pk")


def amount_notices(*, on: dt.date, lender_timezone: str | None = None, size: int = CHUNK) -> int:
    from loans import flags

    sent, after = 0, 0
    while True:
        batch = list(_amount_change_plans(on, lender_timezone).filter(pk__gt=after)[:size])
        if not batch:
            return sent
        after = batch[-1].pk
        flag_map = flags_by_loan([p.loan_id for p in batch])
        sent += amount_change_notices(
            on, [p for p in batch if not flags.notices_paused(flag_map.get(p.loan_id, ()), on)]
        )


def reminders_run(
    *,
    on: dt.date,
    counts: Counter,
    lender_timezone: str | None = None,
    fan_out: bool = False,
    size: int | None = None,
) -> None:
    """The whole night's reminders into `counts` (the JobRun's): every chunk, here or as one
    task each; then the Reg E amount-change notices and the promise-to-pay reminders."""
    size = size or CHUNK
    for first, last in chunk_bounds(size):
        if fan_out:
            from .tasks import reminders_chunk_task

            reminders_chunk_task.delay(first, last, on.isoformat(), lender_timezone)
            counts["chunks_dispatched"] += 1
            continue
        counts.update(
            reminders_chunk(first=first, last=last, on=on, lender_timezone=lender_timezone)
        )
    counts["amount_notices"] = amount_notices(on=on, lender_timezone=lender_timezone, size=size)
    counts["promise_reminders"] = promise_reminders(on=on, lender_timezone=lender_timezone)
