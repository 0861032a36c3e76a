"""A process-wide pace for calls to an outside service (a processor's rate limit): time in
seconds, not money — kept out of the money packages, whose code has no floats."""

import threading
import time


class Pace:
    """At most `rate` calls a second from this process (0: no limit), shared by the threads
    and the chunks of this process (`shared`)."""

    _by_rate: dict[float, "Pace"] = {}  # one per process and rate

    @classmethod
    def shared(cls, rate: float) -> "Pace":
        return cls._by_rate.setdefault(rate, cls(rate))

    def __init__(self, rate: float):
        self.gap = 1 / float(rate) if rate else 0.0
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self, calls: int = 1) -> None:
        if not self.gap:
            return
        with self.lock:
            now = time.monotonic()
            slot = max(self.next, now)
            self.next = slot + self.gap * calls
        if slot > now:
            time.sleep(slot - now)
