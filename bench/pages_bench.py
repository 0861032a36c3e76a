"""Page benchmark (issue 15, goal 1): each borrower page against the bare ceiling, in one run.

    python bench/pages_bench.py --borrowers 1000 --sessions 1000 [--seconds 10] [--connections 8]

Seeds the database named by DATABASE_URL if it holds fewer bench borrowers than asked (see
bench/pages_seed.py), creates --sessions signed-in sessions past the second factor (written to
a file), starts gunicorn (sync, 2 workers, production settings with DEBUG off) serving
bench.wsgi, checks every page answers 200 with its content for a signed-in session, then runs
wrk with bench/pages.lua (a session per request, rotating) for each page as three interleaved
pairs (ceiling, page) and prints requests/s, p99 and the median ratio page / ceiling.

`run_pairs` also takes an in-process WSGI callable instead of a URL (the smoke test's driver:
one thread, Python's own client, no wrk or gunicorn).
"""

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CEILING = "/bench/ceiling/{loan}/"
PAGES = {
    "floor: product middleware": "/bench/floor/{loan}/",  # the ceiling's view, full stack
    "dashboard": "/loans/",
    "loan detail": "/loans/{loan}/",
    "payment form": "/payments/pay/{loan}/",
    "history (60 payments)": "/payments/history/",
}
# A word each page must show, so a redirect to the code step never passes for a page.
MARKERS = {
    CEILING: "Loan BN-",
    "/bench/floor/{loan}/": "Loan BN-",
    "/loans/": "BN-",
    "/loans/{loan}/": "BN-",
    "/payments/pay/{loan}/": "Pay",
    "/payments/history/": "60 payments",
}
PAIRS = 3


@dataclass(frozen=True)
class Run:
    rps: float
    p99_ms: float


def _env() -> dict:
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    env.setdefault("FIELD_ENCRYPTION_KEYS", "GP-rc4aQbmTBSmbjETIQWvAqx2kzMlWZdGE1NIC4DZ4=")
    env.update(
        DJANGO_SETTINGS_MODULE="ismartpay.settings",
        DEBUG="false",
        BENCH_CEILING="true",
        SECURE_SSL_REDIRECT="false",
    )
    return env


def _cookie(key: str) -> str:
    return f"sessionid={key}; ismp_signed_in=1; csrftoken=benchcsrftoken0123456789abcdefgh"


# --- wrk over HTTP -----------------------------------------------------------------------------
def wrk_run(base: str, path: str, sessions_file: str, seconds: int, connections: int) -> Run:
    out = subprocess.run(  # noqa: S603
        [  # noqa: S607 — Debian's wrk on PATH
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(ROOT / "bench/pages.lua"),
            base,
            "--",
            path,
            sessions_file,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in out or "Socket errors" in out:
        print(out, file=sys.stderr)
    return Run(rps, p99)


# --- in-process (smoke test) -------------------------------------------------------------------
def wsgi_run(app, path: str, sessions: list[tuple[str, int]], seconds: float) -> Run:
    from django.test import RequestFactory

    factory, times, i = RequestFactory(), [], 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or not times:
        key, loan = sessions[i % len(sessions)]
        environ = factory.get(path.format(loan=loan), HTTP_COOKIE=_cookie(key)).environ
        environ["wsgi.input"] = io.BytesIO()
        start = time.perf_counter()
        status: list[str] = []
        body = b"".join(app(environ, lambda s, h, *a, out=status: out.append(s)))
        times.append(time.perf_counter() - start)
        if not status[0].startswith("200") or MARKERS[path].encode() not in body:
            raise AssertionError(f"{path}: {status[0]}")
        i += 1
    times.sort()
    return Run(len(times) / sum(times), times[int(0.99 * (len(times) - 1))] * 1000)


def run_pairs(measure, pages: dict[str, str], pairs: int = PAIRS) -> list[dict]:
    """For each page: `pairs` × (ceiling, page), interleaved; the median ratio of the pairs."""
    results = []
    for name, path in pages.items():
        ratios, runs = [], []
        for _ in range(pairs):
            bare, page = measure(CEILING), measure(path)
            ratios.append(page.rps / bare.rps)
            runs.append((bare, page))
        results.append(
            {
                "page": name,
                "ratio": statistics.median(ratios),
                "rps": statistics.median(p.rps for _, p in runs),
                "ceiling_rps": statistics.median(b.rps for b, _ in runs),
                "p99_ms": max(p.p99_ms for _, p in runs),
            }
        )
    return results


def print_results(results: list[dict], connections: int) -> None:
    print(
        f"{'page':<27} {'ratio to bare':>13} {'req/s':>8} {'bare req/s':>10} "
        f"{'p99 ms (c=' + str(connections) + ')':>14}"
    )
    for r in results:
        print(
            f"{r['page']:<27} {r['ratio']:>13.2f} {r['rps']:>8.1f} {r['ceiling_rps']:>10.1f} "
            f"{r['p99_ms']:>14.1f}"
        )


def _check(base: str, sessions: list[tuple[str, int]]) -> None:
    for path in [CEILING, *PAGES.values()]:
        for key, loan in sessions[:3]:
            req = urllib.request.Request(  # noqa: S310 — loopback
                base + path.format(loan=loan),
                headers={"Cookie": _cookie(key)},
            )
            with urllib.request.urlopen(req) as resp:  # noqa: S310 — loopback
                body = resp.read().decode()
                if (
                    resp.status != 200
                    or resp.url != base + path.format(loan=loan)
                    or (MARKERS[path] not in body)
                ):
                    raise SystemExit(f"{path} did not answer its page for a signed-in session")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borrowers", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pages", default=",".join(PAGES), help="comma list of page names")
    args = parser.parse_args()
    os.environ.update(_env())
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from bench.pages_seed import EMAIL_DOMAIN, seed_pages, sessions_create

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest DEBUG-off needs
    have = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").count()
    if have < args.borrowers:
        print(
            "seeded:",
            seed_pages(
                borrowers=args.borrowers - have, session_users=min(args.sessions, args.borrowers)
            ),
        )
    sessions = [(s.session_key, s.loan_id) for s in sessions_create(count=args.sessions)]
    from django.db import connections

    connections.close_all()
    with tempfile.NamedTemporaryFile("w", suffix=".sessions", delete=False) as f:
        f.writelines(f"{k} {loan}\n" for k, loan in sessions)
    print(f"{len(sessions)} sessions in {f.name}")
    base = f"http://127.0.0.1:{args.port}"
    log = open(tempfile.mktemp(suffix=".gunicorn.log"), "w")  # noqa: S306, SIM115
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.wsgi:bench_application()",
            "-k",
            "sync",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{args.port}",
        ],
        cwd=ROOT,
        env=os.environ,
        stdout=log,
        stderr=log,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz")  # noqa: S310
                break
            except urllib.error.HTTPError:  # answering (503 while no Celery worker runs)
                break
            except OSError:
                time.sleep(0.2)
        _check(base, sessions)
        pages = {k: v for k, v in PAGES.items() if k in args.pages.split(",")}
        for path in [CEILING, *pages.values()]:  # warm both workers
            wrk_run(base, path, f.name, 2, args.connections)
        results = run_pairs(
            lambda path: wrk_run(base, path, f.name, args.seconds, args.connections), pages
        )
        print_results(results, args.connections)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
