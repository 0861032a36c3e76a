"""The processor-call threads (pipeline.Caller) persist across chunks, leave when idle."""

import threading
import time
from types import SimpleNamespace

from payments.autopay import batch, recover
from payments.autopay.pipeline import Caller, close_callers, shared_caller


def test_caller_runs_every_job_on_at_most_its_size_of_threads():
    caller = Caller(2, idle_s=0)
    done: list[int] = []
    part = caller.send([lambda i=i: done.append(i) for i in range(5)])
    assert part.all_done.wait(5)
    assert sorted(done) == [0, 1, 2, 3, 4]
    assert caller.live == 2
    caller.close()
    assert caller.live == 0


def test_caller_threads_leave_after_idle_seconds_and_come_back_for_new_work():
    caller = Caller(3, idle_s=1)
    done: list[str] = []
    assert caller.send([lambda: done.append("first")]).all_done.wait(5)
    time.sleep(1.5)  # idle for longer than idle_s: the thread closed its connection and left
    assert caller.live == 0
    assert caller.send([lambda: done.append("second")] * 2).all_done.wait(5)
    assert done == ["first", "second", "second"]
    caller.close()


def test_shared_caller_is_one_per_concurrency_until_closed():
    first = shared_caller(4)
    assert shared_caller(4) is first
    assert shared_caller(2) is not first
    close_callers()
    assert shared_caller(4) is not first
    close_callers()


def test_two_chunks_lookups_by_key_share_the_process_bound_on_calls(settings, monkeypatch):
    """Two chunk threads taking over in-doubt payments at once ask the processor by key on the
    process's shared Caller, as their charges go: at most AUTOPAY_CHARGE_CONCURRENCY calls in
    flight. Before, each takeover made its own Caller: 4 lookups at once here (the attacker
    review of 056ee95)."""
    settings.AUTOPAY_PROCESSOR_BATCH = 0  # one lookup per key
    in_flight, most, counting = 0, 0, threading.Lock()

    class Gateway:
        def fetch_charge(self, idempotency_key):
            nonlocal in_flight, most
            with counting:
                in_flight += 1
                most = max(most, in_flight)
            time.sleep(0.05)
            with counting:
                in_flight -= 1

    monkeypatch.setattr(recover, "get_gateway", Gateway)
    chunks = [
        [batch.Charge(None, SimpleNamespace(idempotency_key=f"k{c}-{i}")) for i in range(4)]
        for c in range(2)
    ]
    threads = [
        threading.Thread(target=recover.ask, args=(charges,), kwargs={"concurrency": 2})
        for charges in chunks
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        close_callers()
    assert most == 2
    assert [(c.result, c.error) for charges in chunks for c in charges] == [(None, False)] * 8


def test_a_thread_a_kill_ended_is_counted_out_and_the_next_call_still_runs(monkeypatch):
    """A BaseException (the tests' simulated kill) ends a call's thread: the Caller counts it
    out, so later calls, and one already queued behind it, get a thread. Before, it still
    counted as live and they waited forever."""

    class Killed(BaseException):
        pass

    def killed():
        raise Killed

    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # the kill is expected
    caller, done = Caller(1, idle_s=0), []
    assert caller.send([killed]).all_done.wait(5)
    assert caller.send([lambda: done.append("next")]).all_done.wait(5)
    assert caller.send([killed, lambda: done.append("queued behind it")]).all_done.wait(5)
    assert done == ["next", "queued behind it"]
    caller.close()
    assert caller.live == 0
