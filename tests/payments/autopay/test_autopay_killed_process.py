"""A real `manage.py run_autopay --date D` process is SIGKILLed part-way through charging, then
run again at once (target 5, issue 9 finding 6). The second run finishes every due plan
exactly once, by itself: it sees that the first run's claims belong to a process that is gone
and takes them over (a CLAIMED debit is charged, a SUBMITTING one resolved by its idempotency
key). On PostgreSQL (the test database) and on SQLite (the embedded mode, its own file).

Measured figures are printed (`-s` shows them) and quoted in docs/reliability.md.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from autopay_fixtures import BULK_RUN_DATE
from django.db import connection
from shared_helpers import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HERE = Path(__file__).resolve().parent
SEED = "from autopay_fixtures import bulk_due_plans; bulk_due_plans({plans}, prefix='K')"
# Everything the assertions need, read by a separate process (the same for both databases).
INSPECT = """
import json
from django.db.models import Count
from loans.models import LoanPosting
from payments.models import AutopayDebit, JobRun, Payment, SandboxCharge
autopay = Payment.objects.filter(source="autopay")
print(json.dumps({
    "debits": dict(AutopayDebit.objects.values_list("status").annotate(n=Count("pk"))),
    "charges": SandboxCharge.objects.count(),
    "charged_keys": SandboxCharge.objects.values("idempotency_key").distinct().count(),
    "payments": autopay.count(),
    "loans_paid_twice": autopay.values("loan_id").annotate(n=Count("pk")).filter(n__gt=1).count(),
    "posted": autopay.filter(status="posted").count(),
    "stuck": Payment.objects.filter(status__in=["submitting", "unknown"]).count(),
    "postings": LoanPosting.objects.filter(kind="payment").count(),
    "effective_dates": sorted({str(d) for d in autopay.values_list("effective_date", flat=True)}),
    "runs": list(JobRun.objects.filter(job="run_autopay").order_by("pk").values_list(
        "status", "due", "charged")),
}))
"""


def _postgres_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db.get("PASSWORD") else user
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


def _env(database_url: str, latency_ms: int, chunk: int, part: int) -> dict[str, str]:
    """`chunk`, `part`: debits per chunk and per part, small enough that parts are recorded
    before the kill (a part's outcomes are recorded together, after its processor calls) and
    a chunk is held at the kill (the run is between chunks only a few milliseconds)."""
    return {
        **os.environ,
        "AUTOPAY_CHUNK_SIZE": str(chunk),
        "AUTOPAY_PART_SIZE": str(part),
        "DJANGO_SETTINGS_MODULE": "ismartpay.settings_test",
        "DATABASE_URL": database_url,
        "PAYMENT_SANDBOX_LATENCY_MS": str(latency_ms),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests"), str(HERE)]),
    }


def _manage(env, *args, timeout=300) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _inspect(env) -> dict:
    return json.loads(_manage(env, "shell", "-c", INSPECT).strip().splitlines()[-1])


def _kill_part_way_and_rerun(env, plans: int) -> dict:
    """Start the run, SIGKILL it once a quarter of the plans are charged, re-run at once."""
    started = time.monotonic()
    first = subprocess.Popen(
        [sys.executable, "manage.py", "run_autopay", "--date", BULK_RUN_DATE.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            assert first.poll() is None, f"the run ended before the kill: {first.stderr.read()}"
            assert time.monotonic() < deadline, "the run never got a quarter of the way"
            if _inspect(env)["charges"] >= plans // 4:
                break
            time.sleep(0.2)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        killed_at = time.monotonic()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    at_kill = _inspect(env)
    rerun_at = time.monotonic()
    out = _manage(env, "run_autopay", "--date", BULK_RUN_DATE.isoformat())
    finished_at = time.monotonic()
    return {
        "at_kill": at_kill,
        "rerun": json.loads(out.strip().splitlines()[-1])["result"],
        "after": _inspect(env),
        "kill_to_done_s": round(finished_at - killed_at, 1),  # with a snapshot in between
        "rerun_s": round(finished_at - rerun_at, 1),  # the second process, start to exit
        "total_s": round(finished_at - started, 1),
    }


def _assert_every_plan_charged_once(figures: dict, plans: int) -> None:
    at_kill, after, rerun = figures["at_kill"], figures["after"], figures["rerun"]
    charged_at_kill = at_kill["debits"].get("charged", 0)
    assert 0 < charged_at_kill < plans  # killed part-way
    assert at_kill["debits"].get("due", 0) + charged_at_kill < plans  # claims were left held
    assert after["debits"] == {"charged": plans}
    assert after["charges"] == after["charged_keys"] == after["payments"] == plans
    assert after["loans_paid_twice"] == 0 and after["stuck"] == 0
    assert after["postings"] == after["posted"] == plans  # ledger = successful payments
    assert after["effective_dates"] == [BULK_RUN_DATE.isoformat()]
    assert [status for status, *_ in after["runs"]] == ["interrupted", "finished"]
    assert rerun["charged"] + charged_at_kill == plans and rerun["left_to_others"] == 0


def test_a_killed_run_autopay_process_is_finished_by_the_next_run_at_once_postgresql():
    from autopay_fixtures import bulk_due_plans

    plans = 200
    bulk_due_plans(plans, prefix="K")
    figures = _kill_part_way_and_rerun(
        _env(_postgres_url(), latency_ms=200, chunk=100, part=10), plans
    )
    print("postgresql", json.dumps(figures))
    _assert_every_plan_charged_once(figures, plans)
    assert figures["kill_to_done_s"] < 30  # no lease (30 s) waited out: the holder is gone


def test_a_killed_run_autopay_process_is_finished_by_the_next_run_at_once_sqlite(tmp_path):
    """The embedded mode: SQLite, one writer at a time, charges inline (concurrency 1)."""
    plans = 40
    env = _env(f"sqlite:///{tmp_path / 'db.sqlite3'}", latency_ms=100, chunk=20, part=2)
    env["ISMARTPAY_VAR_DIR"] = str(tmp_path)
    _manage(env, "migrate", "--verbosity", "0")
    _manage(env, "shell", "-c", SEED.format(plans=plans))
    figures = _kill_part_way_and_rerun(env, plans)
    print("sqlite", json.dumps(figures))
    _assert_every_plan_charged_once(figures, plans)
    assert figures["kill_to_done_s"] < 30
