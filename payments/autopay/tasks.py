"""Celery tasks for autopay and the nightly jobs. Each takes ids and ISO dates, is idempotent,
and is acknowledged late (a task whose worker dies is delivered again: harmless, the database
decides what is still to do).

Beat (settings.CELERY_BEAT_SCHEDULE) fires `run_daily_due` every 15 minutes and the one
recovery sweep (`payments.tasks.recover_stuck_payments`, payments/recovery.py) every minute:
`run_daily_due` starts `run_daily` for each lender time zone whose local clock has passed
RUN_AT on a date whose run has not finished, so lenders in several time zones each get their
own night, a beat that was down catches up on its next tick, and a night whose run was killed
runs again.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from celery import shared_task
from django.utils import timezone

from .. import jobruns, jobs
from . import engine

RUN_AT = dt.time(1, 0)  # lender-local time the nightly run starts
OPTS = {"acks_late": True, "reject_on_worker_lost": True}


def _day(on: str | None) -> dt.date:
    return dt.date.fromisoformat(on) if on else jobs.default_business_date()


@shared_task(name="autopay.charge_chunk", **OPTS)
def autopay_charge_chunk_task(
    debit_ids: list[int], on: str, job_run_id: int | None = None, concurrency: int | None = None
) -> dict:
    """Claim and charge a chunk of debits (a few hundred), with bounded concurrency. Delivered
    again after its worker died, it takes over the dead claim; the run's counts are read from
    the debit rows afterwards, never added up from task results."""
    outcomes = engine.autopay_charge_chunk(
        debit_ids, on=_day(on), concurrency=concurrency, job_run_id=job_run_id
    )
    if job_run_id:
        jobruns.refresh_run(job_run_id)
    return dict(outcomes)


@shared_task(name="autopay.run", **OPTS)
def run_autopay_task(on: str | None = None, lender_timezone: str | None = None) -> dict:
    """The coordinator: insert the due debit rows, then fan out chunk tasks."""
    return jobs.run_autopay(on=_day(on), lender_timezone=lender_timezone, fan_out=True)


@shared_task(name="jobs.run_daily", **OPTS)
def run_daily_task(on: str | None = None, lender_timezone: str | None = None) -> dict:
    return jobs.run_daily(on=_day(on), lender_timezone=lender_timezone, fan_out=True)


@shared_task(name="jobs.run_daily_due")
def run_daily_due() -> list[str]:
    """Beat's entry: start tonight's run for each lender time zone that has reached RUN_AT and
    whose last run_daily for that date did not finish (none yet, failed, or interrupted: its
    process died — jobruns.may_start restarts an interrupted night once per interruption)."""
    from loans.models import Lender

    now = timezone.now()
    started = []
    for tz in sorted(set(Lender.objects.values_list("timezone", flat=True))):
        local = now.astimezone(ZoneInfo(tz))
        if local.time() < RUN_AT:
            continue
        on = local.date()
        if jobruns.may_start("run_daily", on, tz):
            run_daily_task.delay(on.isoformat(), tz)
            started.append(f"{tz}:{on}")
    return started
