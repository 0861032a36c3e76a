"""Celery tasks: each takes ids, calls one service, and is safe to run twice."""

from celery import shared_task

from . import notifications
from .autopay import tasks as _autopay_tasks  # noqa: F401 — registers the autopay tasks
from .recovery import recovery_sweep


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_payment_notice(payment_id: int, kind: str) -> bool:
    return notifications.payment_notice(payment_id, kind)


@shared_task(name="payments.tasks.recover_stuck_payments")
def recover_stuck_payments() -> dict:
    """The one recovery sweep (beat: every minute): interrupted nightly runs, debits and
    payments whose process died, finished fan-out runs, unsent notices (payments/recovery.py).
    It replaces `autopay.sweep`."""
    return recovery_sweep()


@shared_task(name="reminders.chunk")
def reminders_chunk_task(
    first: int, last: int | None, on: str, lender_timezone: str | None = None
) -> dict:
    """One chunk of the nightly reminders (payments/reminder_run.py); safe to run twice."""
    import datetime as dt

    from .reminder_run import reminders_chunk

    day = dt.date.fromisoformat(on)
    return dict(reminders_chunk(first=first, last=last, on=day, lender_timezone=lender_timezone))
