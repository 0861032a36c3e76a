"""An in-process run (manage.py run_daily) charges AUTOPAY_CHUNK_THREADS chunks at once, each
on its own thread and connection (payments/autopay/chunk_threads.py): every plan still once,
an error stops the chunks not yet started and is raised, and inside a transaction (a test's)
the chunks run inline."""

import threading
from types import SimpleNamespace

import pytest
from autopay_fixtures import BULK_RUN_DATE, at, bulk_due_plans, inline_charges  # noqa: F401
from django.db import connection
from django.db.models import Count

from payments import jobs
from payments.autopay import chunk_threads, engine
from payments.models import AutopayDebit, JobRun, Payment, SandboxCharge


@pytest.mark.django_db(transaction=True)
def test_an_in_process_run_charges_two_chunks_at_once_and_each_plan_once(settings, monkeypatch):
    settings.AUTOPAY_CHUNK_SIZE, settings.AUTOPAY_CHUNK_THREADS = 2, 2
    bulk_due_plans(12)
    both_started = threading.Barrier(2, timeout=20)  # broken unless two chunks run at once
    charge_chunk, threads = engine.autopay_charge_chunk, set()

    def first_two_together(batch, **kwargs):
        name = threading.current_thread().name
        if name not in threads:  # each thread's first chunk waits for the other thread's
            threads.add(name)
            both_started.wait()
        return charge_chunk(batch, **kwargs)

    monkeypatch.setattr(engine, "autopay_charge_chunk", first_two_together)

    result = jobs.run_autopay(on=BULK_RUN_DATE, now=at(BULK_RUN_DATE))

    assert len(threads) == 2 and threading.main_thread().name not in threads
    assert (result["due"], result["charged"], result["failed"]) == (12, 12, 0)
    assert AutopayDebit.objects.filter(status="charged").count() == 12
    assert SandboxCharge.objects.count() == 12
    assert SandboxCharge.objects.values("idempotency_key").distinct().count() == 12
    autopay = Payment.objects.filter(source="autopay")
    assert autopay.filter(status="posted").count() == 12
    assert not autopay.values("loan_id").annotate(n=Count("pk")).filter(n__gt=1).exists()
    run = JobRun.objects.get(job="run_autopay", business_date=BULK_RUN_DATE)
    assert (run.status, run.charged) == ("finished", 12)
    again = jobs.run_autopay(on=BULK_RUN_DATE, now=at(BULK_RUN_DATE, 6, 5))
    assert again["charged"] == 0
    assert SandboxCharge.objects.count() == 12


def test_the_first_error_stops_the_chunks_not_started_and_is_raised():
    started, ended, second_running = [], [], threading.Event()

    def charge(batch):
        if batch == [1]:  # fails once [2] runs on the other thread
            second_running.wait(timeout=10)
            raise ValueError("chunk 1 failed")
        started.append(batch)
        second_running.set()
        threading.Event().wait(0.2)  # [1]'s error is recorded meanwhile
        ended.append(batch)

    with pytest.raises(ValueError, match="chunk 1 failed"):
        chunk_threads.charge_chunks([[1], [2], [3], [4], [5]], charge, threads=2)
    assert started == ended == [[2]]  # it ran to its end; [3], [4] and [5] never started


@pytest.mark.parametrize("threads", [1, 2])
def test_a_kill_in_a_chunk_stops_the_run_as_it_does_with_one_thread(threads):
    """A BaseException (the tests' simulated kill; jobruns.py) is raised on the caller's
    thread and stops the chunks not started, with two threads as with one."""

    class Killed(BaseException):
        pass

    started = []

    def charge(batch):
        started.append(batch)
        if batch == [1]:
            raise Killed

    with pytest.raises(Killed):
        chunk_threads.charge_chunks([[1], [2], [3], [4], [5], [6]], charge, threads=threads)
    assert [1] in started and len(started) <= 2


def test_one_thread_runs_the_chunks_in_order_on_this_thread_and_stops_at_an_error():
    seen = []

    def charge(batch):
        seen.append((batch, threading.current_thread() is threading.main_thread()))
        if batch == [2]:
            raise ValueError("chunk 2 failed")

    with pytest.raises(ValueError, match="chunk 2 failed"):
        chunk_threads.charge_chunks([[1], [2], [3]], charge, threads=1)
    assert seen == [([1], True), ([2], True)]


@pytest.mark.django_db
def test_inside_a_transaction_the_chunks_run_inline_on_its_connection():
    """A test's transaction: another thread's connection could not see its rows."""
    assert connection.in_atomic_block
    seen = []
    chunk_threads.charge_chunks(
        [[1], [2], [3]],
        lambda batch: seen.append((batch, threading.current_thread() is threading.main_thread())),
        threads=4,
    )
    assert seen == [([1], True), ([2], True), ([3], True)]


@pytest.mark.parametrize(
    ("configured", "vendor", "at_once"),
    [
        (3, "postgresql", 3),
        (3, "sqlite", 1),  # SQLite takes one writer at a time
        (0, "postgresql", 2),
        (0, "sqlite", 1),
    ],
)
def test_chunks_at_once_is_the_setting_or_the_databases_default(
    settings, monkeypatch, configured, vendor, at_once
):
    settings.AUTOPAY_CHUNK_THREADS = configured
    monkeypatch.setattr(chunk_threads, "connection", SimpleNamespace(vendor=vendor))
    assert chunk_threads.chunks_at_once() == at_once


@pytest.mark.parametrize(
    ("due", "threads", "size"),
    [(1000, 2, 500), (1001, 2, 501), (3, 2, 2), (10_000, 2, 1000), (1000, 1, 1000), (0, 2, 1)],
)
def test_a_run_smaller_than_its_threads_chunks_is_shared_between_them(settings, due, threads, size):
    settings.AUTOPAY_CHUNK_SIZE = 1000
    assert chunk_threads.chunk_size(due, threads) == size
