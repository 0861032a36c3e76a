"""An in-process autopay run's chunks, several at once, each on a thread of its own.

A chunk's Python work (deciding, building rows, allocating) holds the GIL; the statements it
sends release it. With two chunks in flight, one is computed while the other waits on
PostgreSQL, so one process charges more a second (bench/README.md, series G). Each chunk is
claimed, leased and charged by `engine.autopay_charge_chunk` exactly as a Celery worker's
chunk task charges it, on its own database connection: two threads here are two workers as
far as the rows are concerned, and the exactly-once guarantees are the ones that already hold
between workers (claims under `FOR UPDATE SKIP LOCKED`, the charge gate under the loan's lock,
idempotency keys committed before any processor call). Processor calls stay bounded per
process: the chunks share the process's caller (pipeline.shared_caller).

The Celery path (`run_autopay(fan_out=True)`, what beat starts) is not this: there each chunk
is a task, and a worker's processes are its threads' counterpart (docs/scaling.md).
"""

from collections.abc import Callable

from django.conf import settings
from django.db import connection

from .batch import run_bounded

# On PostgreSQL, when settings.AUTOPAY_CHUNK_THREADS is 0: two chunks at once. A third adds
# nothing on this project's 2-core machine (series G: 966, 1,114 and 1,051 charges a second
# with one, two and three), the GIL being the limit once the waits overlap.
DEFAULT_THREADS = 2


def chunk_threads() -> int:
    """How many chunks an in-process run charges at once: settings.AUTOPAY_CHUNK_THREADS, or
    when it is 0, 2 on PostgreSQL and 1 on SQLite (embedded), which takes one writer at a time."""
    configured = int(getattr(settings, "AUTOPAY_CHUNK_THREADS", 0))
    if configured:
        return configured
    return 1 if connection.vendor == "sqlite" else DEFAULT_THREADS


def chunk_size(due: int, threads: int) -> int:
    """Debits a chunk of an in-process run: settings.AUTOPAY_CHUNK_SIZE, or less so that each
    of `threads` has one (1,000 due debits on two threads: two chunks of 500, not one of
    1,000 while the other thread waits)."""
    configured = int(getattr(settings, "AUTOPAY_CHUNK_SIZE", 500))
    return max(1, min(configured, -(-due // max(threads, 1))))


def charge_chunks(
    batches: list[list[int]], charge: Callable[[list[int]], object], *, threads: int
) -> None:
    """`charge(batch)` for every batch, at most `threads` at once, in the order given.

    Inline on this thread's connection when `threads` is 1, when there is one batch, or inside
    a transaction (a test's: another connection could not see its rows). The first error
    stops further batches from starting; the batches already running end, then it is raised,
    as the one-thread loop would raise it (their claims are released by `charge`, or die with
    their lease on a kill)."""
    errors: list[Exception] = []

    def one(batch: list[int]) -> None:
        if errors:
            return  # an earlier chunk failed: start no more
        try:
            charge(batch)
        except Exception as error:  # raised on the caller's thread below
            errors.append(error)

    # batch.run_bounded: at most `threads` at once, each thread's connection closed at its end.
    run_bounded(one, batches, 1 if connection.in_atomic_block else threads)
    if errors:
        raise errors[0]
