"""Nightly reminders benchmark (issue 15 goals 4 and 5): N loans, one `send_reminders` run on
the 1st-of-the-month peak, time per loan and peak memory of the process that runs it.

    createdb -h 127.0.0.1 -U postgres ismartpay_bench_rem
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ismartpay_bench_rem \
    REDIS_URL=redis://127.0.0.1:6379/9 \
    .venv/bin/python bench/reminders_bench.py --loans 10000 100000 1000000

Per size: migrates, empties the loan/notice tables, seeds N loans with set-based SQL
(`INSERT … SELECT generate_series`, not the services: a million loans in about a minute), then
runs `jobs.send_reminders` twice in a forked child (so the child's peak RSS is the run's), the
second run showing what a re-run costs (every key already written: nothing sent again).

The seeded book, chosen to be the heavy night (the run date is Nov 28, 2026; due days are
1–28, 30 % on the 1st): 92 % of loans current (next due in December), 8 % two installments
behind (a past-due notice each); 40 % on autopay (a "will debit" notice instead of "due");
5 % of owners remind 7 days ahead, 5 % have email reminders off; 1 % hardship (no past-due
notice), 0.2 % deceased (no notice). 30 % of the loans are owed a notice that night
(23 % due or "will debit", 7 %
past due).
Email goes to Django's dummy backend: what is measured is deciding, rendering, writing and
claiming the notices, not an SMTP server.
"""

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # demo_loan
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ismartpay.settings_test")

RUN_DATE = dt.date(2026, 11, 28)  # loans due on the 1st are 3 days ahead: the default window

_SEED = """
INSERT INTO accounts_user (id, password, is_superuser, is_staff, is_active, date_joined, email,
    full_name, phone, has_second_factor, session_stamp)
SELECT g, '!', false, false, true, now(), 'rem' || g || '@bench.example', 'Bench ' || g, '',
    false, '' FROM generate_series(1, %(n)s) g;

INSERT INTO accounts_profile (user_id, address_line1, address_line2, city, state, postal_code,
    time_zone, remind_by_email, remind_days_before, closure_reason, updated_at)
SELECT g, '', '', '', '', '', '', g %% 20 <> 1, CASE WHEN g %% 20 = 0 THEN 7 ELSE 3 END, '', now()
FROM generate_series(1, %(n)s) g WHERE g %% 20 IN (0, 1);

INSERT INTO loans_loan (id, created_at, updated_at, loan_number, vin, vehicle_year,
    vehicle_make, vehicle_model, billing_zip, borrower_email, original_principal, apr_percent,
    term_months, contract_date, first_due_date, due_day, installment_amount,
    principal_balance, accrued_interest, interest_accrued_through, unpaid_fees,
    paid_toward_installments, status, lender_id, late_fees_assessed_through,
    prior_interest_paid, prior_interest_paid_year, prior_payments_total, prior_through_posting,
    rate_caps)
SELECT g, now(), now(), 'R' || lpad(g::text, 8, '0'), 'REM' || lpad(g::text, 14, '0'), 2022,
    'Honda', 'Accord', '10001', '', 25000.00, 6.000, 60, make_date(2026, 1, d.day),
    make_date(2026, 2, d.day), d.day, %(inst)s, %(principal)s, 0, %(through)s, 0,
    CASE WHEN g %% 100 < 8 THEN %(inst)s * 8 ELSE %(inst)s * 10 END,
    CASE WHEN g %% 100 < 8 THEN 'past_due' ELSE 'current' END, %(lender)s, 0, 0, 0, 0, 0, '[]'
FROM generate_series(1, %(n)s) g,
    LATERAL (SELECT CASE WHEN g %% 10 < 3 THEN 1 ELSE 2 + g %% 27 END AS day) d;

INSERT INTO loans_loanlink (created_at, updated_at, role, loan_id, user_id)
SELECT now(), now(), 'borrower', g, g FROM generate_series(1, %(n)s) g;

INSERT INTO payments_autopayplan (created_at, updated_at, amount_rule, schedule, start_date,
    status, charge_from, ended_reason, loan_id, method_id, owner_id, next_period_key,
    next_run_date)
SELECT now(), now(), 'installment', 'monthly_due', DATE '2026-03-01', 'active',
    DATE '2026-03-01', '', g, %(method)s, g, l.first_due_date + interval '10 months',
    l.first_due_date + interval '10 months'
FROM generate_series(1, %(n)s) g JOIN loans_loan l ON l.id = g WHERE g %% 5 < 2;

INSERT INTO loans_accountflag (kind, start_date, reason, created_at, end_reason, loan_id,
    set_by_id)
SELECT CASE WHEN g %% 500 = 9 THEN 'deceased' ELSE 'hardship' END, DATE '2026-11-01', 'bench',
    now(), '', g, 1
FROM generate_series(1, %(n)s) g WHERE g %% 100 = 7 OR g %% 500 = 9;
"""


def seed(n: int, *, reset_sequences: bool = True) -> float:
    """Empty the tables the run reads and writes; seed `n` loans. Returns seconds."""
    from demo_loan import DEMO_LOAN
    from django.db import connection

    from loans.models import Lender
    from payments.models import PaymentMethod

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE accounts_user, loans_loan, loans_lender, payments_notice, "
            "payments_jobrun, payments_paymentmethod CASCADE"
        )
    t0 = time.monotonic()
    lender = Lender.objects.create(name="Reminder Bench Lender")
    with connection.cursor() as cur:
        params = {
            "n": n,
            "inst": DEMO_LOAN["installment_amount"],
            "principal": DEMO_LOAN["principal_balance"],
            "through": DEMO_LOAN["interest_accrued_through"],
            "lender": lender.pk,
        }
        users, *others = [stmt for stmt in _SEED.split(";\n\n") if stmt.strip()]
        cur.execute(users, params)
        method = PaymentMethod.objects.create(
            owner_id=1, kind="card", last4="4242", brand="visa", exp_month=12, exp_year=2030
        )
        for statement in others:  # one statement per execute: parameters are bound
            cur.execute(statement, {**params, "method": method.pk})
        for table in ("accounts_user", "loans_loan") if reset_sequences else ():
            sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608, E501 - our own table names
            cur.execute(sql)
        cur.execute("ANALYZE")
    return time.monotonic() - t0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _chunk(bounds: tuple[int, int | None]) -> dict:
    """One worker process's share, like a prefork child running the `reminders.chunk` task."""
    from payments.reminder_run import reminders_chunk

    return dict(reminders_chunk(first=bounds[0], last=bounds[1], on=RUN_DATE))


def _send_reminders_in(processes: int) -> dict:
    """`reminders_run` with its chunks on `processes` forked workers (as `fan_out` queues them
    for Celery): the chunks, then the amount-change and promise reminders here."""
    import multiprocessing as mp
    from collections import Counter

    from django.db import connections

    from payments.collections_notices import promise_reminders
    from payments.reminder_run import amount_notices, chunk_bounds

    counts: Counter = Counter()
    bounds = list(chunk_bounds())
    connections.close_all()  # the workers must not share this process's socket
    with mp.get_context("fork").Pool(processes) as pool:
        for outcome in pool.imap_unordered(_chunk, bounds):
            counts.update(outcome)
    counts["amount_notices"] = amount_notices(on=RUN_DATE)
    counts["promise_reminders"] = promise_reminders(on=RUN_DATE)
    return dict(counts)


def _run_child(write_fd: int, processes: int) -> None:
    """In the forked child: two runs; their results and peak RSS go back through a pipe."""
    import json

    from django.db import connection

    from payments import jobs

    connection.close()  # a fresh connection of its own
    out = {}
    for name in ("first", "second"):
        t0, cpu0 = time.monotonic(), _cpu()
        if processes > 1:
            counts = _send_reminders_in(processes)
        else:
            counts = jobs.send_reminders(on=RUN_DATE)
        out[name] = {
            "seconds": time.monotonic() - t0,
            "cpu_seconds": _cpu() - cpu0,  # this process: Python; the rest is waiting on SQL
            "counts": counts,
        }
    out["peak_rss_mb"] = (  # the largest of this process and its workers
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )
    os.write(write_fd, json.dumps(out, default=str).encode())
    os._exit(0)


def measure(n: int, processes: int = 1) -> dict:
    import json

    from django.db import connections

    connections.close_all()
    rss_at_fork = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _run_child(write_fd, processes)
    os.close(write_fd)
    chunks = []
    while data := os.read(read_fd, 65536):
        chunks.append(data)
    os.waitpid(pid, 0)
    return {"rss_at_fork_mb": rss_at_fork, **json.loads(b"".join(chunks))}


def main() -> None:
    import django

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loans", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--processes", type=int, default=1, help="worker processes for chunks")
    parser.add_argument("--no-seed", action="store_true", help="measure the book already seeded")
    args = parser.parse_args()
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    call_command("migrate", verbosity=0)
    print(
        "loans  seed_s  run_s  us_per_loan  cpu_us_per_loan  notices  rerun_s  peak_rss_mb"
        "  rss_at_fork_mb"
    )
    for n in args.loans:
        seeded = 0.0 if args.no_seed else seed(n)
        if args.no_seed:
            from payments.models import Notice

            Notice.objects.all().delete()
        m = measure(n, args.processes)
        first, second = m["first"], m["second"]
        assert second["counts"]["charged"] == 0, second  # nothing sent twice
        print(
            f"{n:>7}  {seeded:6.1f}  {first['seconds']:6.1f}  "
            f"{first['seconds'] / n * 1e6:11.1f}  {first['cpu_seconds'] / n * 1e6:15.1f}  "
            f"{first['counts']['charged']:7}  "
            f"{second['seconds']:7.1f}  {m['peak_rss_mb']:11.1f}  {m['rss_at_fork_mb']:14.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
