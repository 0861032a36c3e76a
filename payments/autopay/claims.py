"""Claiming autopay debits under a lease, renewing it, and finding claims whose holder died.

A debit is claimable when it is DUE, or RETRY or WAITING and its next attempt is due, or CLAIMED or
SUBMITTING under a dead claim (payments/autopay/leases.py: the lease ran out, or the holder's
process on this host is gone). A dead CLAIMED debit sent nothing: it is charged. A dead
SUBMITTING debit may have reached the processor: it is resolved by its idempotency key
(`payment_recover`), never charged under a new key.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ismartpay.core.arrays import any_of

from ..models import AutopayDebit, JobRun
from . import leases

D = AutopayDebit.Status
HELD = (D.CLAIMED, D.SUBMITTING)


@dataclass
class Claim:
    token: str
    fresh: list[int] = field(default_factory=list)  # to charge (due_q, dead CLAIMED)
    stuck: list[int] = field(default_factory=list)  # dead SUBMITTING: resolve by key
    loan_of: dict[int, int] = field(default_factory=dict)  # each claimed debit's loan


def due_again_q(now: dt.datetime) -> Q:
    """RETRY or WAITING (period_order.py) debits whose next attempt is due."""
    return Q(status__in=AutopayDebit.TIMED_STATUSES, next_attempt_at__lte=now)


def due_q(now: dt.datetime) -> Q:
    """Debits to charge now: DUE, and those due again (`due_again_q`)."""
    return Q(status=D.DUE) | due_again_q(now)


def open_q(now: dt.datetime) -> Q:
    """Rows a run might take: due ones, and held ones (whose claims are checked in Python)."""
    return due_q(now) | Q(status__in=HELD)


def autopay_claim(
    debit_ids: list[int], *, now: dt.datetime, job_run_id: int | None = None
) -> Claim:
    """Claim the still-open rows among `debit_ids` under a new lease. Rows another worker
    holds (locked, or under a live claim) are skipped. `job_run_id`, if given, becomes the
    rows' run (the sweep leaves it as it was)."""
    claim = Claim(leases.new_token())
    wall = timezone.now()
    with transaction.atomic():
        rows = (
            AutopayDebit.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(open_q(now), any_of("pk", debit_ids))
            .values_list("pk", "status", "claimed_by", "lease_until", "plan__loan_id")
        )
        for pk, status, holder, until, loan_id in rows:
            claim.loan_of[pk] = loan_id
            if status not in HELD:
                claim.fresh.append(pk)
            elif leases.expired(holder, until, wall):
                (claim.stuck if status == D.SUBMITTING else claim.fresh).append(pk)
        run = {"job_run_id": job_run_id} if job_run_id else {}
        lease = {"claimed_by": claim.token, "lease_until": wall + leases.lease(), **run}
        AutopayDebit.objects.filter(any_of("pk", claim.fresh)).update(
            status=D.CLAIMED, claimed_at=now, **lease
        )
        AutopayDebit.objects.filter(any_of("pk", claim.stuck)).update(**lease)
    return claim


def renew(token: str, job_run_id: int | None = None) -> None:
    """The heartbeat: extend this claim's lease (and its run's heartbeat)."""
    wall = timezone.now()
    AutopayDebit.objects.filter(claimed_by=token, status__in=HELD).update(
        lease_until=wall + leases.lease()
    )
    if job_run_id:
        JobRun.objects.filter(
            pk=job_run_id, status__in=[JobRun.Status.RUNNING, JobRun.Status.DISPATCHED]
        ).update(heartbeat_at=wall)


def autopay_hold_by_key(key: str, *, lease: dt.timedelta) -> str | None:
    """The payment sweep's hold on the SUBMITTING debit of the payment under `key` it recovers
    (payments/recovery.py): the debit's claim, taken only when it is dead, with a compare-and-
    set, under a new token leased for `lease` (the sweep's own claim's life, STUCK_AFTER), so
    no autopay takeover sends the key again while the sweep is in its processor call. Returns
    the token (`release` it after), "" when no SUBMITTING debit has the key (nothing to hold),
    or None when a live claim holds the debit (its holder finishes the payment)."""
    wall = timezone.now()
    rows = AutopayDebit.objects.filter(idempotency_key=key, status=D.SUBMITTING)
    row = rows.values_list("pk", "claimed_by", "lease_until").first() if key else None
    if row is None:
        return ""
    pk, holder, until = row
    if not leases.expired(holder, until, wall):
        return None
    token = leases.new_token()
    won = rows.filter(pk=pk, claimed_by=holder, lease_until=until).update(
        claimed_by=token, lease_until=wall + lease
    )
    return token if won else None


def release(token: str) -> None:
    """The chunk is done: rows it never started go back to DUE; rows still SUBMITTING (no
    answer from the processor) are left to the recovery sweep at once."""
    if not token:
        return
    wall = timezone.now()
    AutopayDebit.objects.filter(claimed_by=token, status=D.CLAIMED).update(
        status=D.DUE, claimed_by="", lease_until=None
    )
    AutopayDebit.objects.filter(claimed_by=token, status=D.SUBMITTING).update(lease_until=wall)


def dead_claims(rows) -> list[int]:
    """Ids among CLAIMED/SUBMITTING `rows` whose claim is dead now."""
    wall = timezone.now()
    return [
        pk
        for pk, holder, until in rows.filter(status__in=HELD).values_list(
            "pk", "claimed_by", "lease_until"
        )
        if leases.expired(holder, until, wall)
    ]


def live_claims(rows) -> int:
    """How many of CLAIMED/SUBMITTING `rows` are held under a live claim."""
    return len(rows.filter(status__in=HELD)) - len(dead_claims(rows))
