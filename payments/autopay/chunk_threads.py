"""An in-process run's chunks, several at once, each on a thread of its own.

An in-process run is `jobs.run_autopay` without `fan_out`: `manage.py run_daily` and
`manage.py run_autopay`, and bench/autopay_bench.py. A chunk's Python work (deciding, building
rows, allocating) holds the GIL; the statements it sends release it. With two chunks in
flight, one is computed while the other waits on PostgreSQL, so one process charges more a
second (bench/README.md, series G). Each chunk is claimed, leased and charged by
`engine.autopay_charge_chunk` exactly as a Celery worker's chunk task charges it, on its own
database connection: the threads are workers as far as the rows are concerned (claims under
`FOR UPDATE SKIP LOCKED`, the charge gate under the loan's lock, idempotency keys committed
before any processor call), and a loan's debits are never split between two chunks
(loan_groups.py). Processor calls stay bounded per process: the chunks share the process's
caller (pipeline.shared_caller).

The Celery path (`run_autopay(fan_out=True)`, what beat starts) is not this: there each chunk
is a task, and a worker's processes do what these threads do (docs/scaling.md).
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection

from .bounded import run_bounded
from .engine import configured_chunk_size

logger = logging.getLogger("ismartpay.autopay")

# On PostgreSQL, when settings.AUTOPAY_CHUNK_THREADS is 0: two chunks at once. A third added
# nothing on a 2-core machine (bench/README.md series G, a prototype of this loop: 966, 1,114
# and 1,051 charges a second with one, two and three): once the waits overlap, the GIL is the
# limit.
DEFAULT_THREADS = 2


def chunks_at_once() -> int:
    """How many chunks an in-process run charges at once: on PostgreSQL
    settings.AUTOPAY_CHUNK_THREADS, or 2 when it is 0; on SQLite (embedded) 1 whatever it says:
    SQLite takes one writer at a time, so a second chunk only waits on its lock (the attacker
    review of 056ee95)."""
    configured = int(getattr(settings, "AUTOPAY_CHUNK_THREADS", 0))
    if connection.vendor == "sqlite":
        if configured > 1:
            logger.warning(
                "AUTOPAY_CHUNK_THREADS=%s ignored on SQLite: one chunk at a time", configured
            )
        return 1
    return configured or DEFAULT_THREADS


def chunk_size(due: int, threads: int) -> int:
    """Debits a chunk of an in-process run: settings.AUTOPAY_CHUNK_SIZE, or less so that each
    of `threads` has one (600 due debits, chunks of 500, two threads: two chunks of 300, not
    500 and 100)."""
    return max(1, min(configured_chunk_size(), -(-due // max(threads, 1))))


def charge_chunks(
    batches: list[list[int]], charge: Callable[[list[int]], object], *, threads: int
) -> None:
    """`charge(batch)` for every batch, at most `threads` at once, taken in the order given.

    Inline on this thread's connection when `threads` is 1, when there is one batch, or inside
    a transaction (a test's: another connection could not see its rows). The first error —
    any exception, a simulated kill's BaseException too — stops further batches from
    starting; the batches already running end, then it is raised, as the one-thread loop
    raises it (their claims are released by `charge`, or die with their lease on a kill).
    Errors after the first are logged."""
    errors: list[BaseException] = []

    def one(batch: list[int]) -> None:
        if errors:
            return  # an earlier chunk failed: start no more
        try:
            charge(batch)
        except BaseException as error:  # raised on the caller's thread below
            errors.append(error)

    # bounded.run_bounded: at most `threads` at once, each thread's connection closed at its end.
    run_bounded(one, batches, 1 if connection.in_atomic_block else threads)
    for error in errors[1:]:
        logger.error("autopay: another chunk failed too", exc_info=error)
    if errors:
        raise errors[0]
