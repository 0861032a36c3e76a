"""The page benchmark's smoke run (bench/pages_bench.py): 5 borrowers, 2 sessions, one short
in-process measurement per page, so the benchmark does not rot. Not a measurement."""

import pytest
from django.core import signals
from django.db import close_old_connections
from django.test import override_settings


@pytest.mark.django_db
@override_settings(BENCH_CEILING=True)
def test_the_page_benchmark_seeds_signs_in_and_prints_a_ratio_per_page(capsys):
    from bench.pages_bench import PAGES, print_results, run_pairs, wsgi_run
    from bench.pages_seed import (
        HISTORY_PAYMENTS,
        SECOND_LOAN_PAYMENTS,
        seed_pages,
        sessions_create,
    )
    from bench.wsgi import bench_application

    counts = seed_pages(borrowers=5, session_users=2)
    assert (counts["users"], counts["loans"], counts["payments"]) == (
        5,
        8,
        5 * HISTORY_PAYMENTS + 3 * SECOND_LOAN_PAYMENTS,
    )
    sessions = [(s.session_key, s.loan_id) for s in sessions_create(count=2)]
    app = bench_application()
    # As django.test.Client does: a request must not close the test's own connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        results = run_pairs(lambda path: wsgi_run(app, path, sessions, 0.05), PAGES, pairs=1)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    print_results(results, 1)
    out = capsys.readouterr().out
    assert [r["page"] for r in results] == list(PAGES)
    assert all(r["ratio"] > 0 and r["p99_ms"] > 0 for r in results)
    assert "ratio to bare" in out and "history (60 payments)" in out
