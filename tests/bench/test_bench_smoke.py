"""The page benchmark's smoke run (bench/pages_bench.py): 5 borrowers, 2 sessions, one short
in-process measurement per page, so the benchmark does not rot. Not a measurement."""

import contextlib

import pytest
from django.core import signals
from django.db import close_old_connections
from django.test import override_settings


@contextlib.contextmanager
def _requests_keep_the_test_connection():
    """As django.test.Client does: a request must not close the test's own connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


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
    with _requests_keep_the_test_connection():
        results = run_pairs(lambda path: wsgi_run(app, path, sessions, 0.05), PAGES, pairs=1)
    print_results(results, 1)
    out = capsys.readouterr().out
    assert [r["page"] for r in results] == list(PAGES)
    assert all(r["ratio"] > 0 and r["p99_ms"] > 0 for r in results)
    assert "ratio to bare" in out and "history (60 payments)" in out


@pytest.mark.django_db
@override_settings(BENCH_CEILING=True, ALLOWED_HOSTS=["testserver"])
def test_the_page_split_times_templates_and_queries_and_puts_everything_back(capsys):
    from django.db.models.sql.compiler import SQLCompiler
    from django.template.backends.django import Template

    from bench.pages_bench import PAGES
    from bench.pages_seed import seed_pages, sessions_create
    from bench.pages_split import print_splits, split_pages
    from bench.wsgi import bench_application

    originals = (SQLCompiler.execute_sql, Template.render)
    seed_pages(borrowers=3, session_users=2)
    sessions = [(s.session_key, s.loan_id) for s in sessions_create(count=2)]
    with _requests_keep_the_test_connection():
        results = split_pages(bench_application(), sessions, {"dashboard": PAGES["dashboard"]}, 3)
    print_splits(results)
    (dashboard,) = results
    assert dashboard.template_ms > 0 and dashboard.orm_ms > 0 and dashboard.db_wait_ms > 0
    assert dashboard.template_ms + dashboard.orm_ms < dashboard.cpu_ms
    assert (SQLCompiler.execute_sql, Template.render) == originals
    assert "template" in capsys.readouterr().out
