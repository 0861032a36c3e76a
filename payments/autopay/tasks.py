"""Celery tasks for autopay and the nightly jobs. Each takes ids and ISO dates, is idempotent,
and is acknowledged late (a task whose worker dies is delivered again: harmless, the database
decides what is still to do).

Beat (settings.CELERY_BEAT_SCHEDULE) fires `run_daily_due` every 15 minutes and
`autopay_sweep` every 5: `run_daily_due` starts `run_daily` for each lender time zone whose
local clock has passed RUN_AT on a date not yet run, so lenders in several time zones each get
their own night, and a beat that was down catches up on its next tick.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from .. import jobs
from ..models import JobRun
from . import engine

RUN_AT = dt.time(1, 0)  # lender-local time the nightly run starts
OPTS = {"acks_late": True, "reject_on_worker_lost": True}


def _day(on: str | None) -> dt.date:
    return dt.date.fromisoformat(on) if on else jobs.default_business_date()


@shared_task(name="autopay.charge_chunk", **OPTS)
def autopay_charge_chunk_task(
    debit_ids: list[int], on: str, job_run_id: int | None = None, concurrency: int | None = None
) -> dict:
    """Claim and charge a chunk of debits (a few hundred), with bounded concurrency."""
    outcomes = engine.autopay_charge_chunk(debit_ids, on=_day(on), concurrency=concurrency)
    if job_run_id:
        now = timezone.now()
        JobRun.objects.filter(pk=job_run_id).update(
            charged=F("charged") + outcomes.get("charged", 0),
            failed=F("failed") + outcomes.get("failed", 0),
            skipped=F("skipped") + outcomes.get("skipped", 0),
            retried=F("retried") + outcomes.get("retry", 0),
            finished_at=now,
        )
        run = JobRun.objects.filter(pk=job_run_id).values_list("started_at", flat=True).first()
        if run:
            JobRun.objects.filter(pk=job_run_id).update(
                duration_ms=int((now - run).total_seconds() * 1000)
            )
    return dict(outcomes)


@shared_task(name="autopay.run", **OPTS)
def run_autopay_task(on: str | None = None, lender_timezone: str | None = None) -> dict:
    """The coordinator: insert the due debit rows, then fan out chunk tasks."""
    return jobs.run_autopay(on=_day(on), lender_timezone=lender_timezone, fan_out=True)


@shared_task(name="autopay.sweep", **OPTS)
def autopay_sweep() -> dict:
    """Every few minutes: resolve debits whose worker died and dispatch retries now due."""
    now = timezone.now()
    on = jobs.default_business_date(now)
    recovered = engine.autopay_recover(now=now, on=on)
    from ..models import AutopayDebit

    retry_ids = list(
        AutopayDebit.objects.filter(
            status=AutopayDebit.Status.RETRY, next_attempt_at__lte=now
        ).values_list("pk", flat=True)
    )
    for batch in engine.chunks(retry_ids):
        autopay_charge_chunk_task.delay(batch, on.isoformat())
    return {**recovered, "retries_dispatched": len(retry_ids)}


@shared_task(name="jobs.run_daily", **OPTS)
def run_daily_task(on: str | None = None, lender_timezone: str | None = None) -> dict:
    return jobs.run_daily(on=_day(on), lender_timezone=lender_timezone, fan_out=True)


@shared_task(name="jobs.run_daily_due")
def run_daily_due() -> list[str]:
    """Beat's entry: start tonight's run for each lender time zone that has reached RUN_AT."""
    from loans.models import Lender

    now = timezone.now()
    started = []
    for tz in sorted(set(Lender.objects.values_list("timezone", flat=True))):
        local = now.astimezone(ZoneInfo(tz))
        if local.time() < RUN_AT:
            continue
        on = local.date()
        done = JobRun.objects.filter(job="run_daily", business_date=on, scope=tz, error="").exists()
        if not done:
            run_daily_task.delay(on.isoformat(), tz)
            started.append(f"{tz}:{on}")
    return started


@shared_task(name="jobs.send_reminders", **OPTS)
def send_reminders_task(on: str | None = None) -> dict:
    return jobs.send_reminders(on=_day(on))


@shared_task(name="jobs.assess_late_fees", **OPTS)
def assess_late_fees_task(on: str | None = None) -> dict:
    return jobs.assess_late_fees(on=_day(on))


@shared_task(name="jobs.card_expiry_notices", **OPTS)
def card_expiry_notices_task(on: str | None = None) -> dict:
    return jobs.card_expiry_notices(on=_day(on))
