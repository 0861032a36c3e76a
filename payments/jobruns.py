"""JobRun rows: a nightly job's run, honest about whether it finished.

A run is RUNNING while its process renews `heartbeat_at` (every 10 s, a heartbeat thread); a
RUNNING row whose heartbeat is older than the lease (30 s) or whose holder process on this host
is gone was killed, and is marked INTERRUPTED (by the next run of that job, the recovery sweep
and beat's `run_daily_due`). A fan-out `run_autopay` is DISPATCHED once its chunks are queued,
and FINISHED when its debits are: its counts are read from the debit rows, so a chunk that was
delivered twice, or died, cannot leave "charged 0". A night whose top-level `run_daily` or
`run_autopay` was interrupted is started again, at most MAX_RESTARTS times.
"""

import datetime as dt
import logging
import time
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Count, Q
from django.utils import timezone

from .autopay import leases
from .models import AutopayDebit, JobRun

logger = logging.getLogger("ismartpay.jobs")
R = JobRun.Status
D = AutopayDebit.Status
COUNTED = ("due", "charged", "failed", "skipped", "retried", "waiting")
MAX_RESTARTS = 3  # interrupted runs of one night before it is left to a person (logged)
RESTARTABLE = ("run_daily", "run_autopay")
_current_run: ContextVar[int | None] = ContextVar("job_run", default=None)


@contextmanager
def record_job(job: str, on: dt.date, scope: str = ""):
    """Write a JobRun row around a job; the body fills the yielded Counter (a body that sets
    "_dispatched" leaves the row DISPATCHED: its chunks finish it)."""
    started = time.monotonic()
    wall = timezone.now()
    mark_interrupted(job=job, on=on, scope=scope or "")
    run = JobRun.objects.create(
        job=job,
        business_date=on,
        scope=scope or "",
        started_at=wall,
        heartbeat_at=wall,
        holder=leases.identity(),
        parent_id=_current_run.get(),
    )
    counts: Counter = Counter(dict.fromkeys(COUNTED, 0))
    counts["_job_run_id"] = run.pk
    reset = _current_run.set(run.pk)

    def beat():
        JobRun.objects.filter(pk=run.pk, status=R.RUNNING).update(heartbeat_at=timezone.now())

    try:
        with leases.heartbeat(beat):
            yield counts
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(
            error=repr(exc)[:2000],
            finished_at=timezone.now(),
            status=R.FAILED,
            **_counts_so_far(counts, run.pk),
        )
        raise
    finally:  # a BaseException (a simulated kill) leaves the row RUNNING, as a real kill does
        _current_run.reset(reset)
    counts.pop("_job_run_id", None)
    dispatched = counts.pop("_dispatched", False)
    fields = {k: counts.get(k, 0) for k in COUNTED}
    extra = {k: v for k, v in counts.items() if k not in fields}
    now = timezone.now()
    JobRun.objects.filter(pk=run.pk).update(
        finished_at=None if dispatched else now,
        duration_ms=int((time.monotonic() - started) * 1000),
        detail=extra,
        status=R.DISPATCHED if dispatched else R.FINISHED,
        heartbeat_at=now,
        **fields,
    )


def _counts_so_far(counts: Counter, job_run_id: int) -> dict:
    """A failed run's counts: what its body had counted (the debits it was due), and what its
    debits became, read from their rows (an autopay run counts there when it ends; a failed
    one's row said charged 0 though it had charged a chunk: the review of 056ee95)."""
    fields = {k: counts.get(k, 0) for k in COUNTED}
    fields.update({k: n for k, n in run_outcomes(job_run_id).items() if k in fields and n})
    return fields


def mark_interrupted(*, job: str | None = None, on: dt.date | None = None, scope=None) -> int:
    """RUNNING rows whose process is dead (stale heartbeat, or holder gone) → INTERRUPTED."""
    rows = JobRun.objects.filter(status=R.RUNNING)
    if job:
        rows = rows.filter(job=job, business_date=on, scope=scope or "")
    stale = timezone.now() - leases.lease()
    dead = [
        pk
        for pk, holder, beat in rows.values_list("pk", "holder", "heartbeat_at")
        if beat is None or beat < stale or leases.holder_is_dead(holder)
    ]
    return JobRun.objects.filter(pk__in=dead, status=R.RUNNING).update(status=R.INTERRUPTED)


def may_start(job: str, on: dt.date, scope: str) -> bool:
    """Should this night's `job` (re)start? Yes when it never ran, its last run failed, or its
    last run was interrupted and not yet restarted (claimed here with a conditional UPDATE, so
    two beats or sweeps restart it once) — at most MAX_RESTARTS times."""
    mark_interrupted(job=job, on=on, scope=scope)
    key = {"job": job, "business_date": on, "scope": scope or ""}
    last = JobRun.objects.filter(**key, parent__isnull=True).order_by("-pk").first()
    if last is None or last.status == R.FAILED:
        return True
    if last.status != R.INTERRUPTED or last.restarted_at is not None:
        return False
    if JobRun.objects.filter(**key, status=R.INTERRUPTED).count() > MAX_RESTARTS:
        logger.error(
            "%s for %s %s interrupted %s times: not restarted", job, on, scope, MAX_RESTARTS
        )
        return False
    return bool(
        JobRun.objects.filter(pk=last.pk, restarted_at__isnull=True).update(
            restarted_at=timezone.now()
        )
    )


def restart_interrupted(*, days: int = 7) -> list[str]:
    """Start again every night whose last top-level run_daily/run_autopay was interrupted."""
    from .autopay.tasks import run_autopay_task
    from .tasks import run_daily_task

    tasks = {"run_daily": run_daily_task, "run_autopay": run_autopay_task}
    since = timezone.localdate() - dt.timedelta(days=days)
    keys = (
        JobRun.objects.filter(
            status=R.INTERRUPTED,
            parent__isnull=True,
            job__in=RESTARTABLE,
            restarted_at__isnull=True,
            business_date__gte=since,
        )
        .values_list("job", "business_date", "scope")
        .distinct()
    )
    started = []
    for job, on, scope in keys:
        if may_start(job, on, scope):
            tasks[job].delay(on.isoformat(), scope or None)
            started.append(f"{job}:{scope}:{on}")
    return started


def run_outcomes(job_run_id: int) -> Counter:
    """A run's counts, from its debit rows."""
    by_status = dict(
        AutopayDebit.objects.filter(job_run_id=job_run_id)
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return Counter(
        charged=by_status.get(D.CHARGED, 0),
        failed=by_status.get(D.FAILED, 0),
        skipped=by_status.get(D.SKIPPED, 0),
        retried=by_status.get(D.RETRY, 0),
        waiting=by_status.get(D.WAITING, 0),
        pending=sum(by_status.get(s, 0) for s in (D.DUE, D.CLAIMED, D.SUBMITTING)),
    )


def refresh_run(job_run_id: int) -> bool:
    """Update a fan-out run's counts from its debits; FINISHED once none is left to work
    (DUE, CLAIMED, or SUBMITTING under a live claim). True when it is finished now."""
    mine = AutopayDebit.objects.filter(job_run_id=job_run_id)
    wall = timezone.now()
    working = mine.filter(
        Q(status__in=[D.DUE, D.CLAIMED]) | Q(status=D.SUBMITTING, lease_until__gt=wall)
    ).exists()
    out = run_outcomes(job_run_id)
    counts = {k: out[k] for k in COUNTED if k != "due"}
    JobRun.objects.filter(pk=job_run_id).update(**counts)
    if working:
        return False
    run = JobRun.objects.filter(pk=job_run_id).values_list("started_at", flat=True).first()
    duration = int((wall - run).total_seconds() * 1000) if run else None
    return bool(
        JobRun.objects.filter(pk=job_run_id, status=R.DISPATCHED).update(
            status=R.FINISHED, finished_at=wall, duration_ms=duration
        )
    )


def finish_dispatched_runs() -> int:
    ids = JobRun.objects.filter(status=R.DISPATCHED).values_list("pk", flat=True)
    return sum(refresh_run(pk) for pk in ids)
