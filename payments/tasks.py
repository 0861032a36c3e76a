"""Celery tasks: each takes ids, calls one service, and is safe to run twice."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from . import notifications
from .autopay import tasks as _autopay_tasks  # noqa: F401 — registers the autopay tasks
from .models import Payment
from .services import payment_recover, settle_payments

STUCK_AFTER = dt.timedelta(minutes=5)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_payment_notice(payment_id: int, kind: str) -> bool:
    return notifications.payment_notice(payment_id, kind)


@shared_task
def recover_stuck_payments() -> int:
    """Every few minutes: resolve payments whose worker died mid-charge, or whose processor
    call had no answer, by asking the processor by idempotency key."""
    cutoff = timezone.now() - STUCK_AFTER
    stuck = Payment.objects.filter(
        status__in=[Payment.Status.SUBMITTING, Payment.Status.UNKNOWN], updated_at__lt=cutoff
    ).values_list("pk", flat=True)
    for payment_id in stuck:
        payment_recover(payment_id=payment_id)
    notifications.notices_retry_unsent()
    return len(stuck)


@shared_task
def settle_payments_task(on: str | None = None) -> dict[str, int]:
    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    return settle_payments(on=day)
