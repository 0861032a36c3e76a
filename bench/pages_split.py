"""Where a page's CPU goes (issue 15 goal 1): per page, in-process, the Python CPU per request
split into template rendering, ORM (building, compiling and reading queries, psycopg
included) and the rest (middleware, view code, forms), plus the wall time spent waiting
on PostgreSQL. Run it after bench/pages_bench.py has seeded the database, with the same
DATABASE_URL and REDIS_URL:

    .venv/bin/python bench/pages_split.py [--requests 80] [--sessions 40]

CPU is `time.process_time()` of this process, so it does not count PostgreSQL's own CPU and is
far less disturbed by other load on the machine than wall time; "db wait" is wall time and is.
The request log's JSON lines are formatted as in production (their CPU counts) and written to
/dev/null, so that only the table is printed.
"""

import argparse
import contextlib
import io
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages_bench import CEILING, PAGES, _cookie, _env  # noqa: E402

EXTRA = {"signed-in static page (/privacy/)": "/privacy/"}


@dataclass(frozen=True)
class Split:
    page: str
    cpu_ms: float  # the whole request, this process
    template_ms: float  # CPU inside the outermost Template.render
    orm_ms: float  # CPU inside the outermost SQLCompiler.execute_sql
    db_wait_ms: float  # wall time inside cursor execute (PostgreSQL's work and the wait for it)

    @property
    def rest_ms(self) -> float:
        return self.cpu_ms - self.template_ms - self.orm_ms


@contextlib.contextmanager
def _timed(spent: dict):
    """Add the CPU spent in the outermost template render and ORM query, and the wall time in
    cursor executes, to `spent` while inside; the originals are back on exit."""
    from django.db.backends import utils
    from django.db.models.sql import compiler
    from django.template.backends import django as backend

    patched = []

    def outermost(owner, name, key, clock):
        original, depth = getattr(owner, name), [0]

        def timed(*args, **kwargs):
            if depth[0]:
                return original(*args, **kwargs)
            depth[0], start = 1, clock()
            try:
                return original(*args, **kwargs)
            finally:
                spent[key] += clock() - start
                depth[0] = 0

        setattr(owner, name, timed)
        patched.append((owner, name, original))

    outermost(backend.Template, "render", "template", time.process_time)
    outermost(compiler.SQLCompiler, "execute_sql", "orm", time.process_time)
    outermost(utils.CursorWrapper, "_execute", "db", time.perf_counter)
    try:
        yield
    finally:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)


def _request(app, path: str, session: tuple[str, int]) -> None:
    from django.test import RequestFactory

    key, loan = session
    environ = RequestFactory().get(path.format(loan=loan), HTTP_COOKIE=_cookie(key)).environ
    environ["wsgi.input"] = io.BytesIO()
    status: list[str] = []
    b"".join(app(environ, lambda s, h, *a: status.append(s)))
    if not status[0].startswith("200"):
        raise AssertionError(f"{path}: {status[0]}")


def split_pages(app, sessions: list[tuple[str, int]], pages: dict[str, str], requests: int):
    """A Split per page: `requests` requests each, after one warm-up round per session."""
    results = []
    for name, path in pages.items():
        for session in sessions[:10]:
            _request(app, path, session)
        spent = {"template": 0.0, "orm": 0.0, "db": 0.0}
        with _timed(spent):
            start = time.process_time()
            for i in range(requests):
                _request(app, path, sessions[i % len(sessions)])
            cpu = time.process_time() - start
        ms = 1000 / requests
        results.append(
            Split(name, cpu * ms, spent["template"] * ms, spent["orm"] * ms, spent["db"] * ms)
        )
    return results


def print_splits(results: list[Split]) -> None:
    print(f"{'page':<36} {'CPU ms':>7} {'template':>9} {'ORM':>6} {'rest':>6} {'db wait':>8}")
    for r in results:
        print(
            f"{r.page:<36} {r.cpu_ms:>7.2f} {r.template_ms:>9.2f} {r.orm_ms:>6.2f} "
            f"{r.rest_ms:>6.2f} {r.db_wait_ms:>8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=80)
    parser.add_argument("--sessions", type=int, default=40)
    args = parser.parse_args()
    os.environ.update(_env())
    os.environ["ALLOWED_HOSTS"] = "testserver"  # RequestFactory's host
    import django

    django.setup()
    from django.core.management import call_command

    from bench.pages_seed import sessions_create

    call_command("collectstatic", interactive=False, verbosity=0)  # as pages_bench: DEBUG off
    from bench.wsgi import bench_application

    sessions = [(s.session_key, s.loan_id) for s in sessions_create(count=args.sessions)]
    pages = {"bare ceiling": CEILING, **PAGES, **EXTRA}
    app = bench_application()  # sets Django up again, and with it the logging handlers
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 — for the process's life
    print_splits(split_pages(app, sessions, pages, args.requests))


if __name__ == "__main__":
    main()
