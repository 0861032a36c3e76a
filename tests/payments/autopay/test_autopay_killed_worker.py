# ruff: noqa: F401, F811 - pytest fixtures imported from test_autopay_live_worker
"""A Celery worker killed mid-chunk (target 5, issue 9 finding 6), on a real Redis broker.

- A prefork child killed: the chunk is delivered again (acks_late, reject_on_worker_lost); the
  redelivered chunk takes over the dead child's claims (its process is gone) instead of
  "succeeding" with nothing to do, and the run row, counted from the debit rows, ends FINISHED
  with every plan charged.
- The whole worker killed: its messages stay unacknowledged (Redis gives them back only after
  the visibility timeout, an hour); the recovery sweep takes over the dead claims and finishes
  the run.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from autopay_fixtures import BULK_RUN_DATE, bulk_due_plans
from django.conf import settings
from django.db.models import Count
from shared_helpers import ROOT
from test_autopay_live_worker import _database_url, celery_app

from loans.models import LoanPosting
from payments.models import AutopayDebit, JobRun, Payment, SandboxCharge

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PLANS = 200  # 2 chunks of 100 (autopay_worker_settings)


@pytest.fixture
def slow_worker(request, celery_app):
    """A worker whose processor answers in 200 ms, so a kill lands mid-chunk."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "autopay_worker_settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT), str(ROOT / "tests"), str(Path(__file__).resolve().parent)]
        ),
        "PAYMENT_SANDBOX_LATENCY_MS": "200",
        "AUTOPAY_CHARGE_CONCURRENCY": "2",
    }
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "ismartpay", "worker"),
            *("--pool", request.param, "-c", "2", "--loglevel", "WARNING"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        print(out)


def _until(condition, what: str, deadline_s: float = 90) -> float:
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        if condition():
            return time.monotonic() - start
        time.sleep(0.2)
    pytest.fail(f"timed out after {deadline_s}s waiting for {what}")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _assert_each_plan_charged_once() -> None:
    assert dict(AutopayDebit.objects.values_list("status").annotate(n=Count("pk"))) == {
        "charged": PLANS
    }
    assert SandboxCharge.objects.count() == PLANS
    autopay = Payment.objects.filter(source="autopay")
    assert autopay.count() == autopay.values("loan_id").distinct().count() == PLANS
    assert not Payment.objects.filter(status__in=["submitting", "unknown"]).exists()
    assert LoanPosting.objects.filter(kind="payment").count() == PLANS


def _start_and_kill_mid_chunk(celery_app) -> None:
    bulk_due_plans(PLANS, prefix="Q")
    celery_app.send_task("autopay.run", args=[BULK_RUN_DATE.isoformat()])
    _until(lambda: SandboxCharge.objects.count() >= 20, "the first charges")


@pytest.mark.parametrize("slow_worker", ["prefork"], indirect=True)
def test_a_redelivered_chunk_takes_over_its_dead_claims_and_the_run_finishes(
    slow_worker, celery_app
):
    _start_and_kill_mid_chunk(celery_app)
    child = _children(slow_worker.pid)[0]
    os.kill(child, signal.SIGKILL)
    held = AutopayDebit.objects.filter(status__in=["claimed", "submitting"]).count()
    waited = _until(
        lambda: JobRun.objects.filter(job="run_autopay", status="finished").exists(),
        "the run to finish",
    )
    print(f"child killed with {held} debits held; run finished {waited:.1f} s later")
    assert held > 0
    _assert_each_plan_charged_once()
    run = JobRun.objects.get(job="run_autopay")
    assert (run.status, run.due, run.charged, run.failed, run.error) == (
        "finished",
        PLANS,
        PLANS,
        0,
        "",
    )
    assert run.detail["chunks_dispatched"] == 2


@pytest.mark.parametrize("slow_worker", ["threads"], indirect=True)
def test_the_sweep_finishes_a_chunk_whose_whole_worker_was_killed(slow_worker, celery_app):
    from payments.recovery import recovery_sweep

    _start_and_kill_mid_chunk(celery_app)
    slow_worker.send_signal(signal.SIGKILL)
    slow_worker.wait(timeout=10)
    held = AutopayDebit.objects.filter(status__in=["claimed", "submitting"]).count()
    run = JobRun.objects.get(job="run_autopay")
    assert run.status == "dispatched" and held > 0
    started = time.monotonic()
    result = recovery_sweep()  # beat runs it every minute
    took = time.monotonic() - started
    print(f"worker killed with {held} debits held; one sweep finished them in {took:.1f} s")
    _assert_each_plan_charged_once()
    assert result["debits_charged"] == held and result["runs_finished"] == 1
    run.refresh_from_db()
    assert (run.status, run.due, run.charged) == ("finished", PLANS, PLANS)
