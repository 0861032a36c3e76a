"""Celery tasks: each takes ids, calls one service, and is safe to run twice."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from . import notifications
from .autopay import tasks as _autopay_tasks  # noqa: F401 — registers the autopay tasks
from .recovery import recovery_sweep
from .services import settle_payments


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_payment_notice(payment_id: int, kind: str) -> bool:
    return notifications.payment_notice(payment_id, kind)


@shared_task(name="payments.tasks.recover_stuck_payments")
def recover_stuck_payments() -> dict:
    """The one recovery sweep (beat: every minute): interrupted nightly runs, debits and
    payments whose process died, finished fan-out runs, unsent notices (payments/recovery.py).
    It replaces `autopay.sweep`."""
    return recovery_sweep()


@shared_task
def settle_payments_task(on: str | None = None) -> dict[str, int]:
    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    return settle_payments(on=day)
