"""Redis unreachable, for tests: the Celery broker and/or the cache pointed at a closed port.

Nothing listens on 127.0.0.1:1, so every connection is refused at once, as when Redis is
stopped. `silent_port()` gives a port that accepts connections and never answers, as a
Redis behind a dead network path does. `restartable_redis()` relays to the real Redis and can
be stopped and started again, as Redis restarting under a running portal.
"""

import contextlib
import socket
import threading
from urllib.parse import urlsplit

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


class RestartableRedis:
    """A TCP relay in front of the real Redis at `url`: stop() is Redis going away (open
    connections cut, new ones refused), start() is Redis back on the same address."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self._upstream = (parts.hostname, parts.port or 6379)
        self.port = 0
        self._sockets: list[socket.socket] = []
        self.start()
        self.url = f"redis://127.0.0.1:{self.port}{parts.path}"

    def _serve(self) -> None:
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            upstream = socket.create_connection(self._upstream)
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_relay, args=(source, sink), daemon=True).start()

    def stop(self) -> None:
        for sock in [self._listener, *self._sockets]:
            _cut(sock)
        self._sockets = []

    def start(self) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))  # the same address each time
        self.port = self._listener.getsockname()[1]
        self._listener.listen(16)
        self._serve()


def _relay(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    _cut(sink)


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # also wakes a thread blocked in accept()
    sock.close()


@contextlib.contextmanager
def restartable_redis(url: str):
    relay = RestartableRedis(url)
    try:
        yield relay
    finally:
        relay.stop()
