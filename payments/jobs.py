"""The nightly jobs, for one business date. Celery tasks (payments/tasks.py for the nightly
run, payments/autopay/tasks.py for autopay's) and the management commands call these; each is
safe to run twice, or twice at once, and records a JobRun summary row (admin: Payments › Job
runs).

A run killed at any point leaves a RUNNING row whose heartbeat stops: it is marked INTERRUPTED
and the night starts again (payments/jobruns.py); its claimed debits are taken over by the
next run or the recovery sweep (payments/recovery.py).

Order in `run_daily`: settle bank debits → scheduled one-time payments → autopay → late fees →
collections (buckets, promises) → reminders → card expiry → statements. Account flags
(loans/flags.py) pause late fees, notices and autopay debits.
"""

import datetime as dt
import logging
import time
from collections import Counter

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ismartpay.core.today import business_date
from loans import delinquency, flags
from loans.collections import collections_run, flags_by_loan
from loans.models import Loan
from loans.services import loan_assess_late_fees

from . import jobruns
from .autopay import chunk_threads, engine, leases
from .jobruns import record_job
from .models import AutopayDebit, AutopayPlan, PaymentMethod
from .notifications import notice_send
from .reminder_run import reminders_run
from .reminders import (  # the rules; the old private names stay importable from here
    amount_change_notices,
    late_fee_notice,
    owner_links,
    remind_loan,
)
from .services import settle_payments as _settle_payments
from .services import submit_scheduled_payments as _submit_scheduled_payments

logger = logging.getLogger("ismartpay.jobs")
# The rules moved to payments/reminders.py; their old private names stay importable here.
_recipients, _late_fee_notice = owner_links, late_fee_notice
_remind_loan, _amount_change_notices = remind_loan, amount_change_notices
OPEN_LOAN = (Loan.Status.CURRENT, Loan.Status.PAST_DUE)


def default_business_date(now: dt.datetime | None = None) -> dt.date:
    """Today in the default lender time zone (settings.TIME_ZONE): core.today.business_date."""
    return business_date(None, now)


def task_date(on: str | None) -> dt.date:
    """A task's ISO date argument, or today's default business date when it has none."""
    return dt.date.fromisoformat(on) if on else default_business_date()


def _merge(counts: Counter, outcomes: Counter) -> None:
    counts["charged"] += outcomes.get("charged", 0)
    counts["failed"] += outcomes.get("failed", 0)
    counts["skipped"] += outcomes.get("skipped", 0)
    counts["retried"] += outcomes.get("retry", 0)
    counts["waiting"] += outcomes.get("waiting", 0)
    counts["pending"] += outcomes.get("pending", 0)


def run_autopay(
    *,
    on: dt.date,
    lender_timezone: str | None = None,
    now: dt.datetime | None = None,
    fan_out: bool = False,
) -> dict:
    """Charge every autopay period due by `on` (catching up missed ones), taking over debits
    that a killed run, worker or chunk left claimed. With `fan_out`, the charging is
    dispatched to Celery in chunks (the run row is FINISHED when they are); else it runs here,
    AUTOPAY_CHUNK_THREADS chunks at once (autopay/chunk_threads.py), and the run returns once
    no debit due by `on` is held by anyone else (a live holder finishes, a dead one's claim is
    taken over: at most a lease, 30 s)."""
    now = now or timezone.now()
    with record_job("run_autopay", on, lender_timezone or "") as counts:
        run_id = counts["_job_run_id"]
        engine.autopay_suspend_returned()
        counts["represented"] = engine.autopay_represent_returned(now=now)
        counts["plans"] = engine.autopay_schedule_due(on=on, lender_timezone=lender_timezone)
        ids = engine.due_debit_ids(on=on, now=now, lender_timezone=lender_timezone)
        counts["due"] = len(ids)
        if fan_out and ids:
            batches = engine.chunks(ids)
            from .autopay.tasks import autopay_charge_chunk_task

            for batch in batches:  # the run's before it is queued: its counts come from rows
                AutopayDebit.objects.filter(pk__in=batch).update(job_run_id=run_id)
            counts["chunks_dispatched"] = len(batches)
            counts["_dispatched"] = True
            for batch in batches:
                autopay_charge_chunk_task.delay(batch, on.isoformat(), run_id)
        else:
            threads = chunk_threads.chunks_at_once()
            chunk_threads.charge_chunks(
                engine.chunks(ids, chunk_threads.chunk_size(len(ids), threads)),
                lambda batch: engine.autopay_charge_chunk(batch, on=on, now=now, job_run_id=run_id),
                threads=threads,
            )
            counts.update(_finish_held_by_others(on, now, lender_timezone, run_id))
            for key, value in jobruns.run_outcomes(run_id).items():
                counts[key] = value
        result = dict(counts)
    result.pop("_job_run_id", None)
    if result.pop("_dispatched", None):
        jobruns.refresh_run(run_id)  # chunks that finished before the row said DISPATCHED
    return result


def _finish_held_by_others(on, now, lender_timezone, run_id) -> Counter:
    """Debits due by `on` that another claim holds: wait for a live holder (polling, not
    sleeping blind), take over a dead one's, each at most once; give up after a lease + 5 s."""
    out: Counter = Counter()
    deadline = time.monotonic() + leases.lease().total_seconds() + 5
    tried: set[int] = set()
    while True:
        dead = set(engine.due_debit_ids(on=on, now=now, lender_timezone=lender_timezone)) - tried
        if dead:
            tried |= dead
            out["taken_over_late"] += len(dead)
            engine.autopay_charge_chunk(sorted(dead), on=on, now=now, job_run_id=run_id)
        waiting = engine.held_by_others(on=on, job_run_id=run_id, lender_timezone=lender_timezone)
        if not waiting or time.monotonic() > deadline:
            out["left_to_others"] = waiting
            return out
        time.sleep(0.5)


def assess_late_fees(*, on: dt.date, lender_timezone: str | None = None) -> dict:
    """Assess each late fee that came due by `on` (once per installment, however often)."""
    with record_job("assess_late_fees", on, lender_timezone or "") as counts:
        loans = Loan.objects.filter(status__in=OPEN_LOAN, first_due_date__lt=on)
        if lender_timezone:
            loans = loans.filter(lender__timezone=lender_timezone)
        for loan_id in loans.values_list("pk", flat=True).iterator():
            counts["due"] += 1
            try:
                postings = loan_assess_late_fees(loan_id=loan_id, on=on)
            except Exception:
                logger.exception("late fees for loan %s failed; next run retries", loan_id)
                counts["failed"] += 1
                continue
            counts["charged"] += len(postings)  # only fees this run made, each dated `on`
            if postings and _collection_notices_paused(loan_id, on):
                continue  # bankruptcy / deceased: the fee is on the ledger, no notice
            for posting in postings:
                late_fee_notice(loan_id, posting)
        result = dict(counts)
    result.pop("_job_run_id", None)
    return result


def _collection_notices_paused(loan_id: int, on: dt.date) -> bool:
    periods = flags_by_loan([loan_id]).get(loan_id, ())
    return flags.notices_paused(periods, on) or flags.collection_notices_paused(periods, on)


def collections(*, on: dt.date, lender_timezone: str | None = None) -> dict:
    """Store each open loan's days-past-due bucket for `on` and mark promises kept or broken
    (loans/collections.py); safe to run twice (one row per loan and date)."""
    with record_job("collections", on, lender_timezone or "") as counts:
        result = collections_run(on=on, lender_timezone=lender_timezone)
        counts["due"] = sum(result[b] for b in delinquency.BUCKET_NAMES)
        counts["charged"] = counts["due"] - result[delinquency.BUCKET_CURRENT]  # loans past due
        counts.update(result)  # loans per bucket ("current", "1-29", …), promises kept/broken
        out = dict(counts)
    out.pop("_job_run_id", None)
    return out


def send_reminders(
    *, on: dt.date, lender_timezone: str | None = None, fan_out: bool = False
) -> dict:
    """Due-date reminders (the borrower's 1–14 days before), "autopay will debit $X on D"
    when autopay covers it, past-due notices, Reg E amount-change and promise-to-pay
    reminders: set-based, a chunk of loans at a time (payments/reminder_run.py). Each notice
    is sent once: its key is unique per loan + kind + date (+ recipient)."""
    with record_job("send_reminders", on, lender_timezone or "") as counts:
        reminders_run(on=on, counts=counts, lender_timezone=lender_timezone, fan_out=fan_out)
        result = dict(counts)
    result.pop("_job_run_id", None)
    return result


def card_expiry_notices(*, on: dt.date) -> dict:
    """Tell card owners a month or two ahead that a card expires (once per card and expiry),
    saying so when autopay uses it."""
    with record_job("card_expiry_notices", on) as counts:
        this = (on.year, on.month)
        nxt = (on.year + (on.month // 12), on.month % 12 + 1)
        cards = PaymentMethod.objects.filter(
            Q(exp_year=this[0], exp_month=this[1]) | Q(exp_year=nxt[0], exp_month=nxt[1]),
            kind=PaymentMethod.Kind.CARD,
            removed_at__isnull=True,
            owner__isnull=False,
        ).select_related("owner")
        autopay_methods = set(
            AutopayPlan.objects.filter(status__in=AutopayPlan.LIVE_STATUSES).values_list(
                "method_id", flat=True
            )
        )
        for card in cards:
            counts["due"] += 1
            counts["charged"] += notice_send(
                kind="autopay_card_expiring",
                dedupe_key=f"card_expiry:{card.pk}:{card.exp_year}-{card.exp_month:02d}",
                to=card.owner.email,
                subject=f"Your {card.label} expires soon",
                template="payments/email/autopay_card_expiring.txt",
                context={
                    "card": card,
                    "autopay": card.pk in autopay_methods,
                    "methods_path": reverse("payments:methods"),
                },
            )
        result = dict(counts)
    result.pop("_job_run_id", None)
    return result


def settle_payments(*, on: dt.date) -> dict:
    with record_job("settle_payments", on) as counts:
        result = _settle_payments(on=on)
        counts["due"] = result.get("checked", 0)
        counts["charged"] = result.get("settled", 0)
        counts["failed"] = result.get("returned", 0)
    return result


def scheduled_payments(*, on: dt.date) -> dict:
    """One-time payments the borrower scheduled for this date (or a missed earlier one)."""
    with record_job("scheduled_payments", on) as counts:
        result = _submit_scheduled_payments(on=on)
        for key in ("due", "charged", "failed"):
            counts[key] = result[key]
        counts["skipped"] = result["cancelled"]  # refused by the charge gate, nothing charged
    return result


def statements(*, on: dt.date, lender_timezone: str | None = None) -> dict:
    """Monthly statements for cycles closed before `on` and, in January, year-end interest
    statements (documents/jobs.py); each made once however often this runs."""
    from documents.jobs import statements_for_day

    with record_job("statements", on, lender_timezone or "") as counts:
        statements_for_day(on=on, counts=counts, lender_timezone=lender_timezone)
        result = dict(counts)
    result.pop("_job_run_id", None)
    return result


def run_daily(
    *,
    on: dt.date,
    lender_timezone: str | None = None,
    now: dt.datetime | None = None,
    fan_out: bool = False,
) -> dict:
    """Every nightly job for one business date, in order; safe to run twice."""
    with record_job("run_daily", on, lender_timezone or "") as counts:
        out = {
            "settle_payments": settle_payments(on=on),
            "scheduled_payments": scheduled_payments(on=on),
            "run_autopay": run_autopay(
                on=on, lender_timezone=lender_timezone, now=now, fan_out=fan_out
            ),
            "assess_late_fees": assess_late_fees(on=on, lender_timezone=lender_timezone),
            "collections": collections(on=on, lender_timezone=lender_timezone),
            "send_reminders": send_reminders(on=on, lender_timezone=lender_timezone),
            "card_expiry_notices": card_expiry_notices(on=on),
            "statements": statements(on=on, lender_timezone=lender_timezone),
        }
        auto = out["run_autopay"]
        for key in jobruns.COUNTED:
            counts[key] = auto.get(key, 0)
    return out
