"""Gunicorn's settings, read by every `gunicorn` started in the project directory (the
Dockerfile's and docker-compose.yml's web process, bench/pages_bench.py).

Worker processes freeze what the loaded application holds out of the garbage collector's reach
(issue 15, goals 1 and the p99): Django, the URLconf, the models and the libraries are ≈176,000
objects that live as long as the worker, and every full collection walked them all — 150–180
ms of one request's time on this project's 2-vCPU machine (bench/README.md, "Series of
2026-12-03, fourth session"), about once every few hundred requests. Frozen, a full collection
walks only what requests left behind. What the application holds is never freed anyway, so
nothing is kept that would otherwise go. Python's `gc.freeze()` documentation recommends this
for pre-fork servers.
"""

import gc


def post_worker_init(worker):
    """After the worker has loaded the application: collect what loading left, then freeze."""
    gc.collect()
    gc.freeze()
