"""The one recovery sweep (beat: every minute, `payments.tasks.recover_stuck_payments`).

In order:
1. Nightly runs whose process died (a RUNNING JobRun with a stale heartbeat, or whose holder
   process on this host is gone) are marked INTERRUPTED, and a top-level `run_daily` or
   `run_autopay` among them is started again (payments/jobruns.py, at most 3 times per night).
2. Autopay: debits under a dead claim, DUE debits whose run died, RETRY debits now due are
   taken over and finished (payments/autopay/engine.py `autopay_recover`).
3. Payments stuck in SUBMITTING or UNKNOWN for STUCK_AFTER (60 s; a processor call times out
   well before) — their process died, web or worker, or the processor gave no answer — are
   asked about at the processor by idempotency key (`payment_recover`), never re-sent under a
   new key. Each payment is taken with a conditional UPDATE on its claim (`submitted_at`), so
   two sweeps never work the same payment; an autopay payment's debit is held too (its dead
   claim taken, `claims.autopay_hold_by_key`), so the autopay step never takes the debit over
   while this sweep is in its processor call, and one a live claim holds is left to its holder.
4. Fan-out runs whose debits are all done are marked FINISHED; refunds whose process died
   after claiming them are finished (services/refunds.py), suspense refunds too (same key);
   unsent notices are retried.
5. Staff requests approved (by a second supervisor, or acting alone) whose process died after
   the claim and before executing are finished after the same grace, once each
   (loans/staff_requests_resume.py `staff_requests_resume`: a lease on the row, its own key).
"""

import datetime as dt
import logging
from collections import Counter

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from .models import Payment

logger = logging.getLogger("ismartpay.recovery")
S = Payment.Status
STUCK_AFTER = dt.timedelta(seconds=60)
BATCH = 500  # payments per sweep; the next sweep (a minute later) takes the rest


def payment_claim_for_recovery(
    payment_id: int, *, seen: dt.datetime | None, wall: dt.datetime | None = None
) -> bool:
    """Take a SUBMITTING/UNKNOWN payment for recovery: a compare-and-set of its claim
    (`submitted_at`) from the value the caller saw to now. One caller wins; the others see a
    changed claim and leave the payment alone."""
    wall = wall or timezone.now()
    rows = Payment.objects.filter(pk=payment_id, status__in=Payment.IN_FLIGHT_STATUSES)
    rows = (
        rows.filter(submitted_at__isnull=True) if seen is None else rows.filter(submitted_at=seen)
    )
    return rows.update(submitted_at=wall, updated_at=wall) == 1


def payments_claim_for_recovery(
    seen: dict[int, dt.datetime | None], *, wall: dt.datetime | None = None
) -> set[int]:
    """`payment_claim_for_recovery` for many payments in one statement (the autopay recovery's
    set path): each in-flight payment whose claim still holds the value the caller saw (`seen`:
    payment id → `submitted_at`, None included) is claimed at `wall`. Returns the ids won; the
    others are held by another sweep, which asks the processor about them."""
    wall = wall or timezone.now()
    if not seen or connection.vendor != "postgresql":  # SQLite (embedded, small): one by one
        return {pk for pk, at in seen.items() if payment_claim_for_recovery(pk, seen=at, wall=wall)}
    ids, values = zip(*sorted(seen.items()), strict=True)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {Payment._meta.db_table} AS t SET submitted_at = %s, updated_at = %s "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, seen) "
            "WHERE t.id = v.id AND t.status = ANY(%s) "
            "AND t.submitted_at IS NOT DISTINCT FROM v.seen RETURNING t.id",
            [wall, wall, list(ids), list(values), list(Payment.IN_FLIGHT_STATUSES)],
        )
        return {row[0] for row in cur.fetchall()}


def stuck_payments(*, wall: dt.datetime):
    cutoff = wall - STUCK_AFTER
    return Payment.objects.filter(
        Q(status=S.SUBMITTING, submitted_at__lt=cutoff)
        | Q(status=S.SUBMITTING, submitted_at__isnull=True, updated_at__lt=cutoff)
        | Q(status=S.UNKNOWN, updated_at__lt=cutoff)
    )


def payments_recover_stuck(*, now: dt.datetime, on: dt.date, wall: dt.datetime) -> Counter:
    from .autopay import claims
    from .autopay.engine import autopay_finish_by_key
    from .services import payment_recover

    outcomes: Counter = Counter()
    rows = stuck_payments(wall=wall).order_by("pk")
    rows = rows.values_list("pk", "submitted_at", "source", "idempotency_key")
    for payment_id, seen, source, key in rows[:BATCH]:
        autopay = source == Payment.Source.AUTOPAY
        hold = claims.autopay_hold_by_key(key, lease=STUCK_AFTER) if autopay else ""
        if hold is None or not payment_claim_for_recovery(payment_id, seen=seen, wall=wall):
            claims.release(hold or "")
            outcomes["held_elsewhere"] += 1
            continue
        try:
            payment = payment_recover(payment_id=payment_id, claim=wall)
            if autopay:
                autopay_finish_by_key(payment, now=now, on=on)
        except Exception:
            logger.exception("recovering payment %s failed; the next sweep retries", payment_id)
            outcomes["error"] += 1
            continue
        finally:
            claims.release(hold or "")
        outcomes[f"payment_{payment.status}"] += 1
    return outcomes


def suspense_refunds_resend(*, wall: dt.datetime) -> int:
    """Suspense refunds claimed (REFUNDING) and not confirmed for STUCK_AFTER: sent again under
    the same key `refund:suspense:<item>:<step>` (the processor answers a repeated key with the
    same refund; the step is marked refunded once, under its row lock)."""
    from .models import SuspenseAction
    from .services.suspense import suspense_refund_finish

    stale = SuspenseAction.objects.filter(
        kind=SuspenseAction.Kind.REFUNDING, at__lt=wall - STUCK_AFTER
    )
    sent = 0
    for step_id in stale.order_by("pk").values_list("pk", flat=True)[:BATCH]:
        try:
            suspense_refund_finish(action_id=step_id)
        except Exception:
            logger.exception("resending suspense refund step %s failed; next sweep", step_id)
            continue
        sent += 1
    return sent


def recovery_sweep(*, now: dt.datetime | None = None, on: dt.date | None = None) -> dict:
    """One pass of the sweep; see the module docstring. Safe to run concurrently."""
    from loans.staff_requests_resume import staff_requests_resume

    from . import jobruns, jobs, notifications
    from .autopay import engine
    from .services.refunds import refunds_resume

    wall = timezone.now()
    now = now or wall
    on = on or jobs.default_business_date(now)
    result: Counter = Counter()
    result["runs_interrupted"] = jobruns.mark_interrupted()
    result["runs_restarted"] = len(jobruns.restart_interrupted())
    for key, n in engine.autopay_recover(now=now, on=on, wall=wall).items():
        result[f"debits_{key}"] += n
    result.update(payments_recover_stuck(now=now, on=on, wall=wall))
    result["runs_finished"] = jobruns.finish_dispatched_runs()
    # Refunds whose process died after claiming them (staff REFUNDING, unapplied money).
    result["refunds_resumed"] = refunds_resume(now=wall)
    result["notices_resent"] = notifications.notices_retry_unsent()
    result["suspense_refunds_resent"] = suspense_refunds_resend(wall=wall)
    result.update(staff_requests_resume(wall=wall))
    return {k: v for k, v in result.items() if v}
