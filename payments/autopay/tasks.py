"""Autopay's Celery tasks: the run's coordinator and its chunks. Each takes ids and ISO dates,
is idempotent, and is acknowledged late (a task whose worker dies is delivered again: harmless,
the database decides what is still to do). The nightly jobs' tasks (`jobs.run_daily`, beat's
`jobs.run_daily_due`) are in payments/tasks.py; the run starts this one (payments/jobs.py).
"""

from celery import shared_task

from .. import jobruns, jobs
from . import engine

OPTS = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="autopay.charge_chunk", **OPTS)
def autopay_charge_chunk_task(
    debit_ids: list[int], on: str, job_run_id: int | None = None, concurrency: int | None = None
) -> dict:
    """Claim and charge a chunk of debits (a few hundred), with bounded concurrency. Delivered
    again after its worker died, it takes over the dead claim; the run's counts are read from
    the debit rows afterwards, never added up from task results."""
    outcomes = engine.autopay_charge_chunk(
        debit_ids, on=jobs.task_date(on), concurrency=concurrency, job_run_id=job_run_id
    )
    if job_run_id:
        jobruns.refresh_run(job_run_id)
    return dict(outcomes)


@shared_task(name="autopay.run", **OPTS)
def run_autopay_task(on: str | None = None, lender_timezone: str | None = None) -> dict:
    """The coordinator: insert the due debit rows, then fan out chunk tasks."""
    return jobs.run_autopay(on=jobs.task_date(on), lender_timezone=lender_timezone, fan_out=True)
