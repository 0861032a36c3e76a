"""Profile one autopay charge: SQL statements (CaptureQueriesContext) and cProfile.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ismartpay_bench \
    REDIS_URL=redis://127.0.0.1:6379/9 \
    .venv/bin/python bench/autopay_profile_charge.py [--receipts celery|eager]
"""

import argparse
import cProfile
import pstats
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import autopay_bench as bench  # sets DJANGO_SETTINGS_MODULE and sys.path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--receipts", choices=["celery", "eager"], default="celery")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from payments.autopay import engine

    call_command("migrate", verbosity=0)
    bench.configure(latency_ms=0, threads=1, receipts=args.receipts)
    bench.reset_and_create(40)
    day, now = bench.RUN_DATE, bench.NOW
    engine.autopay_schedule_due(on=day)
    ids = engine.due_debit_ids(on=day, now=now)
    engine.autopay_charge_chunk(ids[:5], on=day, now=now, concurrency=1)  # warm up
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        engine.autopay_charge_chunk(ids[5:6], on=day, now=now, concurrency=1)
        elapsed = time.perf_counter() - t0
    print(f"one charge: {elapsed * 1000:.1f} ms, {len(queries.captured_queries)} statements")
    shapes = Counter(re.sub(r"\d+", "N", q["sql"])[:100] for q in queries.captured_queries)
    for shape, n in shapes.most_common():
        print(f"{n:3} {shape}")
    profile = cProfile.Profile()
    profile.enable()
    engine.autopay_charge_chunk(ids[6:26], on=day, now=now, concurrency=1)
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    bench.purge_queue()


if __name__ == "__main__":
    main()
