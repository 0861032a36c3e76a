# ruff: noqa: S106, RUF059, E501 - benchmark fixtures (sandbox tokens, not secrets)
"""Autopay run benchmark: N due plans, one nightly run, charges per second.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ismartpay_bench \
    .venv/bin/python bench/autopay_bench.py --plans 100000 [--latency-ms 300 --threads 64]

Migrates the database, creates N loans with one autopay plan each (bulk, set-based), runs
`run_autopay` in-process (chunks of 500, charge threads per chunk) and prints the rates, plus a
raw-SQL INSERT … SELECT of the same number of debit rows for comparison.
"""

import argparse
import datetime as dt
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ismartpay.settings_test")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.PAYMENT_SANDBOX_LATENCY_MS = args.latency_ms
    settings.AUTOPAY_CHARGE_CONCURRENCY = args.threads
    settings.CELERY_TASK_ALWAYS_EAGER = True
    call_command("migrate", verbosity=0)
    from accounts.models import User
    from loans.models import Lender, Loan
    from payments import jobs
    from payments.models import AutopayDebit, AutopayPlan, PaymentMethod, SandboxToken

    with connection.cursor() as cur:
        cur.execute("TRUNCATE payments_autopaydebit, payments_autopayplan, payments_paymentevent,"
                    " payments_payment, payments_sandboxcharge, loans_loanposting, "
                    "payments_notice, payments_jobrun CASCADE")
    user, _ = User.objects.get_or_create(email="bench@example.com")
    lender, _ = Lender.objects.get_or_create(name="Bench Lender")
    token, _ = SandboxToken.objects.get_or_create(token="tok_bench", defaults={
        "kind": "card", "outcome": "ok", "brand": "visa", "last4": "4242", "funding": "credit"})
    method, _ = PaymentMethod.objects.get_or_create(processor_token="tok_bench", defaults={
        "owner": user, "kind": "card", "last4": "4242", "brand": "visa", "exp_month": 12,
        "exp_year": 2030})
    Loan.objects.filter(lender=lender).delete()
    t0 = time.monotonic()
    loans = Loan.objects.bulk_create([
        Loan(lender=lender, loan_number=f"B{i:07d}", vin=f"BENCH{i:012d}", vehicle_year=2022,
             vehicle_make="Honda", vehicle_model="Accord", billing_zip="10001",
             original_principal=Decimal("25000.00"), apr_percent=Decimal("6.000"),
             term_months=60, contract_date=dt.date(2026, 1, 5),
             first_due_date=dt.date(2026, 2, 5), due_day=5,
             installment_amount=Decimal("483.32"), principal_balance=Decimal("21335.10"),
             interest_accrued_through=dt.date(2026, 11, 5),
             paid_toward_installments=Decimal("4833.20"))
        for i in range(args.plans)], batch_size=5000)
    AutopayPlan.objects.bulk_create([
        AutopayPlan(loan=loan, owner=user, method=method, amount_rule="installment",
                    schedule="monthly_due", start_date=dt.date(2026, 11, 24),
                    charge_from=dt.date(2026, 11, 26), next_period_key=dt.date(2026, 12, 5),
                    next_run_date=dt.date(2026, 12, 4)) for loan in loans], batch_size=5000)
    setup = time.monotonic() - t0
    day = dt.date(2026, 12, 4)
    now = dt.datetime(2026, 12, 4, 6, tzinfo=ZoneInfo("America/New_York"))
    t0 = time.monotonic()
    result = jobs.run_autopay(on=day, now=now)
    elapsed = time.monotonic() - t0
    charged = AutopayDebit.objects.filter(status="charged").count()
    # The same number of rows, raw SQL, for scale.
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_rows (LIKE payments_autopaydebit INCLUDING DEFAULTS)")
        t1 = time.monotonic()
        cur.execute("INSERT INTO bench_rows (id, plan_id, period_key, run_date, status, attempts, "
                    "idempotency_key, reason, created_at, updated_at) SELECT g, g, DATE '2026-12-05',"
                    " DATE '2026-12-04', 'due', 0, '', '', now(), now() "
                    "FROM generate_series(1, %s) g", [args.plans])
        raw = time.monotonic() - t1
    print(f"plans={args.plans} latency_ms={args.latency_ms} threads={args.threads} "
          f"setup={setup:.1f}s run={elapsed:.1f}s charged={charged} "
          f"rate={charged / elapsed:.0f}/s raw_sql_insert={args.plans / raw:.0f} rows/s "
          f"result={ {k: result[k] for k in ('due', 'charged', 'failed')} }")
    assert charged == args.plans == result["charged"]


if __name__ == "__main__":
    main()
