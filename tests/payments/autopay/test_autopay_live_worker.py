"""A live Celery worker on a real Redis broker runs the autopay fan-out (targets 3 and 4):
the coordinator inserts the debit rows and queues chunk tasks; the worker charges each plan
exactly once; a second coordinator for the same date (beat fired twice) charges nothing."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from autopay_fixtures import BULK_RUN_DATE, bulk_due_plans
from django.conf import settings
from django.db import connection
from django.db.models import Count
from shared_helpers import ROOT

from payments.models import AutopayDebit, JobRun, Payment, SandboxCharge

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PLANS = 300
DEADLINE_S = 60


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db.get("PASSWORD") else user
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def celery_app():
    """The project's Celery app pointed at the test's Redis db, with the queue emptied."""
    from ismartpay.celery import app

    app.conf.broker_url = settings.REDIS_URL
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    yield app
    app.conf.task_always_eager = eager


@pytest.fixture
def worker(request, celery_app):
    pool = getattr(request, "param", "threads")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "autopay_worker_settings",
        "DATABASE_URL": _database_url(),  # the test database, not the configured one
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT), str(ROOT / "tests"), str(Path(__file__).resolve().parent)]
        ),
        "CONN_MAX_AGE": "60",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ismartpay",
            "worker",
            "--pool",
            pool,
            "-c",
            "2",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
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
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        print(out)  # pytest shows it when the test fails


def _wait(condition, what: str, worker_proc, deadline_s: float = DEADLINE_S):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if worker_proc.poll() is not None:
            pytest.fail(f"the worker exited ({worker_proc.returncode}) before {what}")
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out after {deadline_s}s waiting for {what}")


def _resolved() -> bool:
    debits = AutopayDebit.objects.all()
    return (
        debits.count() == PLANS
        and not debits.filter(status__in=AutopayDebit.OPEN_STATUSES).exists()
    )


@pytest.mark.parametrize("worker", ["prefork", "threads"], indirect=True)
def test_live_worker_charges_each_plan_once_and_a_second_beat_charges_nothing(worker, celery_app):
    plan_ids = bulk_due_plans(PLANS)
    on = BULK_RUN_DATE.isoformat()

    celery_app.send_task("autopay.run", args=[on])
    _wait(_resolved, f"{PLANS} debits resolved", worker)

    assert AutopayDebit.objects.filter(status="charged").count() == PLANS
    assert SandboxCharge.objects.count() == PLANS
    dupes = (
        Payment.objects.filter(source="autopay")
        .values("loan_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not dupes.exists()
    assert set(AutopayDebit.objects.values_list("plan_id", flat=True)) == set(plan_ids)
    first = JobRun.objects.get(job="run_autopay", business_date=BULK_RUN_DATE)
    assert first.due == PLANS
    assert first.detail["chunks_dispatched"] == 3  # AUTOPAY_CHUNK_SIZE = 100 in the worker
    _wait(
        lambda: JobRun.objects.filter(pk=first.pk, charged=PLANS).exists(),
        "the chunk task's counts on the JobRun",
        worker,
        10,
    )

    # Beat fired twice: a second coordinator for the same date finds nothing to charge.
    celery_app.send_task("autopay.run", args=[on])
    _wait(
        lambda: JobRun.objects.filter(job="run_autopay", finished_at__isnull=False).count() == 2,
        "the second run's JobRun",
        worker,
    )
    second = JobRun.objects.filter(job="run_autopay").order_by("-pk").first()
    assert second.pk != first.pk and second.due == 0 and second.error == ""
    time.sleep(1)  # anything it might (wrongly) have queued would run now
    assert SandboxCharge.objects.count() == PLANS
    assert AutopayDebit.objects.count() == PLANS
    assert Payment.objects.filter(source="autopay").count() == PLANS
