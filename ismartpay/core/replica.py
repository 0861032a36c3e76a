"""An optional read replica, for reads that say so (docs/scaling.md, "Read replica").

Off unless DATABASE_REPLICA_URL is set (settings add the "replica" alias and this router).
Nothing reads from the replica by default: only code run inside `replica_reads()` (or a
function decorated `@read_only_selector`) does, and even then not inside a transaction on the
primary (a transaction reads its own writes). A replica lags the primary by up to its
replication delay: use it only for pages that may show data a few seconds old (statements,
documents, long history pages), never for what a payment, a charge gate or a job decides.
Writes, migrations and everything else go to "default".
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_reading: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside go to the replica (when one is configured and no transaction is open)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def read_only_selector(func: Callable) -> Callable:
    """Mark a selector whose reads may be served by the replica (see the module docstring)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return func(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """settings.DATABASE_ROUTERS holds this only when the replica alias is configured."""

    def db_for_read(self, model, **hints) -> str | None:
        if not _reading.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None  # the primary
        return REPLICA

    def db_for_write(self, model, **hints) -> str | None:
        return None  # always the primary

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        return True  # the same data on both: an object read from either may be related

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool | None:
        return False if db == REPLICA else None  # the replica follows the primary's schema
