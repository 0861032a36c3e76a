"""Redis unreachable, for tests: the Celery broker and/or the cache pointed at a closed port.

Nothing listens on 127.0.0.1:1, so every connection is refused at once, as when Redis is
stopped. `silent_port()` gives a port that accepts connections and never answers, as a
Redis behind a dead network path does.
"""

import contextlib
import socket

from django.test import override_settings

CLOSED = "redis://127.0.0.1:1/0"


def _cache_at(url: str) -> dict:
    """The project's own cache settings (timeouts included), only at another address."""
    from django.conf import settings

    return {"default": {**settings.CACHES["default"], "LOCATION": url}}


@contextlib.contextmanager
def cache_down(url: str = CLOSED):
    with override_settings(CACHES=_cache_at(url)):
        yield


def _forget_broker_connections(app) -> None:
    """Celery pools its connections to the broker it first met; forget them (tests only)."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_down(url: str = CLOSED):
    """Tasks are really published (not run eagerly) to a broker at `url`."""
    from ismartpay.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    _forget_broker_connections(app)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    try:
        yield
    finally:
        _forget_broker_connections(app)
        app.conf.broker_url, app.conf.task_always_eager = saved


@contextlib.contextmanager
def redis_down(url: str = CLOSED):
    """Broker and cache both unreachable: what the portal sees when Redis is stopped."""
    with broker_down(url), cache_down(url):
        yield


@contextlib.contextmanager
def silent_port():
    """redis://127.0.0.1:PORT/0 of a socket that accepts and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        listener.close()
