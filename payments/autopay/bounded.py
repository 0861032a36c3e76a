"""`run_bounded`: a function over a list on at most N threads, each closing its own database
connection at its end (the autopay run's chunk threads, processor calls and taken-over debits)."""

import queue
import threading

from django.db import connection


def run_bounded(fn, items: list, concurrency: int) -> None:
    """`fn(item)` for each item, at most `concurrency` at once. Each thread uses (and closes,
    once) its own database connection; concurrency 1 runs inline on the caller's."""
    if concurrency <= 1 or len(items) <= 1:
        for item in items:
            fn(item)
        return
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for item in items:
        todo.put(item)

    def worker() -> None:
        try:
            while True:
                try:
                    item = todo.get_nowait()
                except queue.Empty:
                    return
                fn(item)
        finally:
            connection.close()  # this thread's connection, not the caller's

    threads = [
        threading.Thread(target=worker, name=f"autopay-{i}", daemon=True)
        for i in range(min(concurrency, len(items)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
