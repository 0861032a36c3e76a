# ruff: noqa: S106 - benchmark fixtures (sandbox tokens, not secrets)
"""Autopay run benchmark: N due plans, one nightly run, charges per second.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ismartpay_bench \
    REDIS_URL=redis://127.0.0.1:6379/9 \
    .venv/bin/python bench/autopay_bench.py --plans 100000 [--latency-ms 300 --threads 64]

Migrates the database, creates N loans with one autopay plan each (bulk, set-based), runs
`run_autopay` in-process (chunks of AUTOPAY_CHUNK_SIZE, `--threads` charge threads per chunk)
and prints the rates, plus a raw-SQL INSERT … SELECT of the same number of debit rows.
`cpu_ms_per_charge` is this process's CPU (`time.process_time()`, the in-process sandbox
processor's included; not the worker processes' with `--processes` above 1) during the run;
`pg_cpu_ms_per_charge` the local PostgreSQL server's (all its processes, from /proc; `n/a`
when it runs elsewhere), which counts whatever else uses that server at the same time.

Receipt notices go through Celery as in production (`--receipts celery`, the default): the
charge enqueues `send_payment_notice` on the Redis broker after commit; no worker consumes
them here (the queue is purged at the end), so the run pays what a charging worker pays.
`--receipts eager` sends them in-line instead (what the test settings do).
"""

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # demo_loan
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ismartpay.settings_test")

RUN_DATE = dt.date(2026, 12, 4)  # Dec 5 2026 is a Saturday: its debit runs Friday Dec 4
NOW = dt.datetime(2026, 12, 4, 6, tzinfo=ZoneInfo("America/New_York"))


def reset_and_create(count: int) -> float:
    """Empty the loan, autopay and payment tables (TRUNCATE: a `delete()` of 100,000 loans
    would send more parameters than a statement may carry); create `count` loans with one due
    plan each.
    Returns the seconds it took."""
    from demo_loan import DEMO_LOAN
    from django.db import connection

    from accounts.models import User
    from loans.models import Lender, Loan, LoanLink
    from payments.models import AutopayPlan, PaymentMethod, SandboxToken

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE payments_autopaydebit, payments_autopayevent, "
            "payments_autopayauthorization, payments_autopayplan, "
            "payments_paymentevent, payments_payment, payments_sandboxcharge, "
            "loans_loanposting, payments_notice, payments_jobrun, loans_loan CASCADE"
        )
    user, _ = User.objects.get_or_create(email="bench@example.com")
    lender, _ = Lender.objects.get_or_create(name="Bench Lender")
    SandboxToken.objects.get_or_create(
        token="tok_bench",
        defaults={
            "kind": "card",
            "outcome": "ok",
            "brand": "visa",
            "last4": "4242",
            "funding": "credit",
        },
    )
    method, _ = PaymentMethod.objects.get_or_create(
        processor_token="tok_bench",
        defaults={
            "owner": user,
            "kind": "card",
            "last4": "4242",
            "brand": "visa",
            "exp_month": 12,
            "exp_year": 2030,
        },
    )
    t0 = time.monotonic()
    loans = Loan.objects.bulk_create(
        [
            Loan(
                lender=lender,
                loan_number=f"B{i:07d}",
                vin=f"BENCH{i:012d}",
                **DEMO_LOAN,  # tests/demo_loan.py: the loan the tests use
            )
            for i in range(count)
        ],
        batch_size=5000,
    )
    # The plan owner is the loan's borrower: the charge gate re-checks the payer's role.
    LoanLink.objects.bulk_create(
        [LoanLink(user=user, loan=loan, role="borrower") for loan in loans], batch_size=5000
    )
    AutopayPlan.objects.bulk_create(
        [
            AutopayPlan(
                loan=loan,
                owner=user,
                method=method,
                amount_rule="installment",
                schedule="monthly_due",
                start_date=dt.date(2026, 11, 24),
                charge_from=dt.date(2026, 11, 26),
                next_period_key=dt.date(2026, 12, 5),
                next_run_date=RUN_DATE,
            )
            for loan in loans
        ],
        batch_size=5000,
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return time.monotonic() - t0


def refuse_unless_bench_database() -> None:
    """The run empties every loan and payment: never on a database not meant for it."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if "bench" not in name and "test" not in name:
        sys.exit(
            f"autopay_bench empties the loan and payment tables: refusing {name!r} "
            "(use a database whose name holds 'bench', as bench/README.md shows)"
        )


def raw_insert_rate(count: int) -> float:
    """Rows per second for a raw-SQL INSERT … SELECT of `count` debit-shaped rows."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_rows (LIKE payments_autopaydebit INCLUDING DEFAULTS)")
        t1 = time.monotonic()
        cur.execute(
            "INSERT INTO bench_rows (id, plan_id, period_key, run_date, status, attempts, "
            "idempotency_key, reason, claimed_by, created_at, updated_at) SELECT g, g, "
            "DATE '2026-12-05', DATE '2026-12-04', 'due', 0, '', '', '', now(), now() "
            "FROM generate_series(1, %s) g",
            [count],
        )
        raw = time.monotonic() - t1
        cur.execute("DROP TABLE bench_rows")
    return count / raw


def postgres_cpu_s() -> float | None:
    """CPU seconds (user + system) the local PostgreSQL server has used so far: every
    `postgres` process's own and that of its exited children (the postmaster is charged a
    backend's CPU when the backend ends). Linux /proc; None when no such process is visible
    (another OS, or PostgreSQL on another machine)."""
    total, found = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended while we looked
        if text[text.index("(") + 1 : text.rindex(")")] != "postgres":
            continue
        fields = text[text.rindex(")") + 2 :].split()  # from field 3 (state) of proc(5)
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime (14-17)
        found = True
    return total / os.sysconf("SC_CLK_TCK") if found else None


def configure(
    *, latency_ms: int, threads: int, receipts: str, processor_batch: int = 0, purge: bool = True
) -> None:
    from django.conf import settings

    from ismartpay.celery import app

    settings.PAYMENT_SANDBOX_LATENCY_MS = latency_ms
    settings.AUTOPAY_CHARGE_CONCURRENCY = threads
    settings.AUTOPAY_PROCESSOR_BATCH = processor_batch
    eager = receipts == "eager"
    settings.CELERY_TASK_ALWAYS_EAGER = eager
    app.conf.task_always_eager = eager
    if not eager:
        app.conf.broker_url = settings.REDIS_URL
        if purge:
            purge_queue()


def purge_queue() -> int:
    from ismartpay.celery import app

    if app.conf.task_always_eager:
        return 0
    with app.connection_for_write() as conn:
        return conn.default_channel.queue_purge("celery") or 0


def _charge_chunk(batch: list[int]) -> dict:
    """A worker process's share, like one Celery prefork child running autopay.charge_chunk."""
    from payments.autopay import engine

    return dict(engine.autopay_charge_chunk(batch, on=RUN_DATE, now=NOW))


def _child_init(latency_ms: int, threads: int, receipts: str, processor_batch: int) -> None:
    import django

    django.setup()
    configure(
        latency_ms=latency_ms,
        threads=threads,
        receipts=receipts,
        processor_batch=processor_batch,
        purge=False,
    )


def run_in_processes(processes: int, args) -> dict:
    """The coordinator in this process (recovery, debit rows), then the chunks charged by
    `processes` worker processes, as `autopay.charge_chunk` tasks on prefork workers would."""
    import multiprocessing as mp
    from collections import Counter

    from django.db import connections

    from payments import jobs
    from payments.autopay import engine

    counts: Counter = Counter()
    with jobs.record_job("run_autopay", RUN_DATE) as job:
        engine.autopay_recover(now=NOW, on=RUN_DATE)
        engine.autopay_schedule_due(on=RUN_DATE)
        ids = engine.due_debit_ids(on=RUN_DATE, now=NOW)
        job["due"] = len(ids)
        connections.close_all()  # children must not share this process's socket
        ctx = mp.get_context("fork")
        with ctx.Pool(
            processes,
            initializer=_child_init,
            initargs=(args.latency_ms, args.threads, args.receipts, args.processor_batch),
        ) as pool:
            for outcome in pool.imap_unordered(_charge_chunk, engine.chunks(ids)):
                counts.update(outcome)
        jobs._merge(job, counts)
        result = dict(job)
    return {"due": len(ids), **result}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument(
        "--threads", type=int, default=None, help="default: AUTOPAY_CHARGE_CONCURRENCY's (16)"
    )
    parser.add_argument("--receipts", choices=["celery", "eager"], default="celery")
    parser.add_argument(
        "--processor-batch",
        type=int,
        default=None,
        help="charges per call of the sandbox's batch API (0: one call per charge; "
        "default: AUTOPAY_PROCESSOR_BATCH's, 0)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="charge the chunks in this many processes (like prefork workers)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    refuse_unless_bench_database()
    call_command("migrate", verbosity=0)
    from django.conf import settings

    from payments.autopay import engine

    # The flags win; unset, the settings (so the environment's AUTOPAY_* apply, as in production).
    args.threads = args.threads or engine.charge_concurrency()
    if args.processor_batch is None:
        args.processor_batch = settings.AUTOPAY_PROCESSOR_BATCH
    from payments import jobs
    from payments.autopay.chunk_threads import chunks_at_once
    from payments.models import AutopayDebit, SandboxCharge

    configure(
        latency_ms=args.latency_ms,
        threads=args.threads,
        receipts=args.receipts,
        processor_batch=args.processor_batch,
    )
    setup = reset_and_create(args.plans)
    setup_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # seeding's peak
    t0, cpu0, pg0 = time.monotonic(), time.process_time(), postgres_cpu_s()
    if args.processes > 1:
        result = run_in_processes(args.processes, args)
    else:
        result = jobs.run_autopay(on=RUN_DATE, now=NOW)
    elapsed, cpu, pg1 = time.monotonic() - t0, time.process_time() - cpu0, postgres_cpu_s()
    per = 1000 / max(args.plans, 1)
    pg_ms = "n/a" if pg0 is None or pg1 is None else f"{(pg1 - pg0) * per:.2f}"
    charged = AutopayDebit.objects.filter(status="charged").count()
    processor = SandboxCharge.objects.count()
    queued = purge_queue()
    raw = raw_insert_rate(args.plans)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"plans={args.plans} latency_ms={args.latency_ms} threads={args.threads} "
        f"processes={args.processes} processor_batch={args.processor_batch} "
        f"chunk={settings.AUTOPAY_CHUNK_SIZE} part={settings.AUTOPAY_PART_SIZE} "
        f"chunk_threads={chunks_at_once() if args.processes == 1 else 'n/a'} "
        f"receipts={args.receipts} setup={setup:.1f}s run={elapsed:.1f}s charged={charged} "
        f"processor_charges={processor} receipts_queued={queued} "
        f"rate={charged / elapsed:.1f}/s ms_per_charge={1000 * elapsed / max(charged, 1):.2f} "
        f"cpu_ms_per_charge={1000 * cpu / max(charged, 1):.2f} pg_cpu_ms_per_charge={pg_ms} "
        f"peak_rss={peak_mb:.0f}MB (after seeding {setup_mb:.0f}MB) "
        f"children_peak_rss={children_mb:.0f}MB "
        f"raw_sql_insert={raw:.0f} rows/s load={os.getloadavg()[0]:.1f} "
        f"result={ {k: result[k] for k in ('due', 'charged', 'failed')} }",
        flush=True,
    )
    assert charged == processor == args.plans == result["charged"]


if __name__ == "__main__":
    main()
