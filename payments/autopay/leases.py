"""Leases: telling a dead worker's claim from a live one's, quickly.

A claim (a chunk of autopay debits, a JobRun) names its holder — host name, process id and the
process's start time — and carries a lease that the holder renews from a heartbeat thread every
LEASE/3 while it works. A claim is dead when its lease has run out (whatever the host), or at
once when its holder is on this host and that process is gone or a zombie (the start time
guards against a reused pid). Plain columns and conditional UPDATEs: this works through
PgBouncer's transaction pooling (session advisory locks do not, bench/README.md) and on SQLite,
the embedded mode.
"""

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection

logger = logging.getLogger("ismartpay.autopay")


def lease() -> dt.timedelta:
    """How long a claim lives without a renewal: 30 s (settings.JOB_LEASE_SECONDS). Processor
    calls time out well before (a charge that outlives it is resolved by key, never re-sent
    under a new key)."""
    return dt.timedelta(seconds=float(getattr(settings, "JOB_LEASE_SECONDS", 30)))


def _start_ticks(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) of a process, from /proc; None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return fields[0], fields[19]


@cache
def _host() -> str:
    return socket.gethostname()[:60]


def identity() -> str:
    """This process: "host:pid:start". Not cached as a whole: a forked worker child differs."""
    pid = os.getpid()
    ticks = _start_ticks(pid)
    return f"{_host()}:{pid}:{ticks[1] if ticks else 0}"


def new_token() -> str:
    """A claim's holder: this process plus a random part for the chunk."""
    return f"{identity()}:{uuid.uuid4().hex[:12]}"


def holder_is_dead(holder: str) -> bool:
    """True only when `holder` ran on this host and its process is gone (or a zombie). A holder
    on another host is alive until its lease runs out."""
    host, _, rest = holder.partition(":")
    pid, _, rest = rest.partition(":")
    start = rest.partition(":")[0]
    if host != _host() or not pid.isdigit() or not Path("/proc/self/stat").exists():
        return False
    ticks = _start_ticks(int(pid))
    return ticks is None or ticks[0] in ("Z", "X") or ticks[1] != start


def expired(holder: str, until: dt.datetime | None, wall: dt.datetime) -> bool:
    return until is None or until <= wall or holder_is_dead(holder)


@contextmanager
def heartbeat(renew: Callable[[], None]):
    """Call `renew()` every LEASE/3 from a daemon thread while the block runs. Skipped inside a
    transaction (a test's): another connection could not see the rows to renew."""
    if connection.in_atomic_block:
        yield
        return
    stop = threading.Event()
    interval = lease().total_seconds() / 3

    def loop():
        try:
            while not stop.wait(interval):
                try:
                    renew()
                except Exception:
                    logger.exception("lease renewal failed; retrying in %.0f s", interval)
        finally:
            connection.close()  # this thread's connection

    thread = threading.Thread(target=loop, name="lease-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval)
