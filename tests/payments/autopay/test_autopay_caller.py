"""The processor-call threads (pipeline.Caller) persist across chunks, leave when idle."""

import time

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
