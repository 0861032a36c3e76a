"""Celery tasks: each takes ids, calls one service, and is safe to run twice."""

from celery import shared_task

from . import notifications
from .autopay import tasks as _autopay_tasks  # noqa: F401 — registers the autopay tasks
from .recovery import recovery_sweep


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
