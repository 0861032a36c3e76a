"""Celery tasks: each takes ids and ISO dates, calls one service, and is safe to run twice.

The nightly jobs' tasks live here (the jobs themselves in payments/jobs.py); autopay's own tasks
(`autopay.run`, `autopay.charge_chunk`) live in payments/autopay/tasks.py.

Beat (settings.CELERY_BEAT_SCHEDULE) fires `run_daily_due` every 15 minutes and the one
recovery sweep (`recover_stuck_payments`, payments/recovery.py) every minute: `run_daily_due`
starts `run_daily` for each lender time zone whose local clock has passed RUN_AT on a date whose
run has not finished, so lenders in several time zones each get their own night, a beat that
was down catches up on its next tick, and a night whose run was killed runs again. The nightly
tasks are acknowledged late (a task whose worker dies is delivered again: harmless, the
database decides what is still to do).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from celery import shared_task
from django.utils import timezone

from . import jobruns, jobs, notifications
from .autopay import tasks as _autopay_tasks  # noqa: F401 — registers the autopay tasks
from .recovery import recovery_sweep

RUN_AT = dt.time(1, 0)  # lender-local time the nightly run starts
OPTS = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_payment_notice(payment_id: int, kind: str) -> bool:
    return notifications.payment_notice(payment_id, kind)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_payment_notices(pairs: list[tuple[int, str]]) -> int:
    """A chunk's notices (the autopay batch), one message for the chunk: each is sent by
    whoever claims its outbox row, so a retry of this task sends only what is still owed."""
    return sum(notifications.payment_notice(payment_id, kind) for payment_id, kind in pairs)


@shared_task(name="payments.tasks.recover_stuck_payments")
def recover_stuck_payments() -> dict:
    """The one recovery sweep (beat: every minute): interrupted nightly runs, debits and
    payments whose process died, finished fan-out runs, unsent notices (payments/recovery.py).
    It replaces `autopay.sweep`."""
    return recovery_sweep()


@shared_task(name="jobs.run_daily", **OPTS)
def run_daily_task(on: str | None = None, lender_timezone: str | None = None) -> dict:
    return jobs.run_daily(on=jobs.task_date(on), lender_timezone=lender_timezone, fan_out=True)


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


@shared_task(name="reminders.chunk")
def reminders_chunk_task(
    first: int, last: int | None, on: str, lender_timezone: str | None = None
) -> dict:
    """One chunk of the nightly reminders (payments/reminder_run.py); safe to run twice."""
    import datetime as dt

    from .reminder_run import reminders_chunk

    day = dt.date.fromisoformat(on)
    return dict(reminders_chunk(first=first, last=last, on=day, lender_timezone=lender_timezone))
