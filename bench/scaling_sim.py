"""Scale-out on paper (issue 15 goal 6, docs/scaling.md): which resource saturates first for a
lender's book, from the per-item costs measured by the benchmarks in this folder.

    .venv/bin/python bench/scaling_sim.py                       # 1 M loans, 30 % due on the 1st
    .venv/bin/python bench/scaling_sim.py --loans 5000000 --pg-cores 16 --latency-ms 300

A small deterministic model, not a load test: every stage of the peak night runs on N worker
processes (Celery, one chunk per task) against one PostgreSQL primary. A stage's rate is the
smallest of: the workers' CPU (measured per item and process), the processor's latency over
the charge concurrency, the primary's CPU (statements per item × measured cost per
statement), and the connections the workers need against `max_connections`. It prints, per N,
each stage's time and what bounds it, and the N at which each limit is hit first.

Measured inputs (bench/README.md): the one-debit engine before issue 15, 25 charges/s per
process, CPU-bound, 42 statements and 7 transactions per charge, ≈ 46 ms of PostgreSQL + kernel
CPU per charge on the 2-core VM (71 ms of CPU per charge in all, 25 ms of it Python); today's
set-based chunks with a batch API, 350 charges/s per process on that VM (series E) and 0.85 ms
of PostgreSQL CPU per charge (0.38 ms measured by `autopay_bench.py`'s `pg_cpu_ms_per_charge`
on a machine where the same code ran 2.2× faster: series F, 2026-12-02); reminders
≈ 0.62 ms of wall time per loan per process (30 % of loans owed a notice), 10 statements per
chunk of 2,000 loans; pages 12–31 ms app CPU and 7–10 statements each.
"""

import argparse
import math
from dataclasses import dataclass

# Primary CPU per item on the 2-core VM (divided by --pg-speedup for a dedicated server):
AUTOPAY_PG_MS = 46.0  # the one-debit engine: 71 ms CPU in all at 28/s on 2 cores, 25 ms Python
SETBASED_PG_MS = 0.85  # set-based chunks, batch API: 0.38 ms measured × 2.2 (that machine/VM)
REMINDER_PG_MS = 0.075  # per loan: ~12 % of the 0.62 ms is spent waiting on SQL (cProfile)


@dataclass(frozen=True)
class Stage:
    name: str
    items: int
    per_process: float  # items/s one worker process does, CPU-bound
    pg_ms: float  # primary CPU per item, on the VM
    connections: int  # per worker process while the stage runs
    latency_cap: float = math.inf  # items/s per process allowed by processor latency


def stages(args) -> list[Stage]:
    due_first = int(args.loans * args.due_on_first)
    charges = int(due_first * args.autopay_share)
    concurrency = args.charge_concurrency
    latency_cap = concurrency / (args.latency_ms / 1000) if args.latency_ms else math.inf
    return [
        Stage(
            "autopay, one debit at a time (before)",
            charges,
            args.autopay_rate,
            AUTOPAY_PG_MS,
            1 + concurrency,
            latency_cap,
        ),
        Stage(
            "autopay, set-based chunks (today)",
            charges,
            args.autopay_setbased_rate,
            SETBASED_PG_MS,
            1 + concurrency,
            latency_cap,
        ),
        Stage("reminders", args.loans, 1 / (args.reminder_us / 1e6), REMINDER_PG_MS, 1),
        Stage(
            "reminder emails (SMTP provider)",
            int(args.loans * args.notice_share),
            math.inf,
            0.0,
            1,
            args.mail_rate,
        ),
    ]


def stage_time(stage: Stage, workers: int, args) -> tuple[float, str]:
    """Seconds for the stage on `workers` processes, and the limit that bounds it."""
    if stage.name.startswith("reminder emails"):
        return stage.items / stage.latency_cap, "mail provider rate"
    usable = min(workers, args.max_connections // stage.connections)
    pg_ms = stage.pg_ms / args.pg_speedup
    limits = {
        "worker CPU": usable * stage.per_process,
        "processor latency": usable * stage.latency_cap,
        "primary CPU": args.pg_cores * 1000 / pg_ms if pg_ms else math.inf,
    }
    bound = min(limits, key=limits.get)
    if usable < workers and bound != "primary CPU":
        bound = "max_connections"  # more processes would find no connection
    return stage.items / limits[min(limits, key=limits.get)], bound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--due-on-first", type=float, default=0.30)
    parser.add_argument("--autopay-share", type=float, default=0.50)
    parser.add_argument("--notice-share", type=float, default=0.30)
    parser.add_argument(
        "--autopay-rate", type=float, default=25.0, help="charges/s/process, one-debit engine"
    )
    parser.add_argument(
        "--autopay-setbased-rate", type=float, default=350.0, help="charges/s/process, today"
    )
    parser.add_argument("--reminder-us", type=float, default=620.0, help="µs per loan")
    parser.add_argument("--charge-concurrency", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--pg-cores", type=int, default=8)
    parser.add_argument(
        "--pg-speedup", type=float, default=2.0, help="a dedicated server vs the shared 2-core VM"
    )
    parser.add_argument("--max-connections", type=int, default=100)
    parser.add_argument(
        "--pgbouncer",
        action="store_true",
        help="transaction pooling: client connections no longer count against max_connections",
    )
    parser.add_argument("--mail-rate", type=float, default=50.0, help="emails/s the provider takes")
    args = parser.parse_args()
    if args.pgbouncer:
        args.max_connections = 10_000  # PgBouncer's max_client_conn; the server pool is small

    print(
        f"book: {args.loans:,} loans, {args.due_on_first:.0%} due on the 1st, "
        f"{args.autopay_share:.0%} of those on autopay; primary {args.pg_cores} cores "
        f"(×{args.pg_speedup} the VM's per-statement speed), max_connections "
        f"{args.max_connections}{' (PgBouncer)' if args.pgbouncer else ''}, "
        f"processor latency {args.latency_ms:.0f} ms\n"
    )
    print(f"{'stage':38} {'items':>9}  " + "  ".join(f"{f'N={n}':>22}" for n in (1, 4, 8, 16, 32)))
    first_limit: dict[str, int] = {}
    for stage in stages(args):
        cells = []
        for n in (1, 4, 8, 16, 32):
            seconds, bound = stage_time(stage, n, args)
            cells.append(f"{seconds / 60:8.1f} min {bound[:11]:>11}")
        print(f"{stage.name:38} {stage.items:>9,}  " + "  ".join(cells))
        for n in range(1, 257):
            _, bound = stage_time(stage, n, args)
            if bound != "worker CPU":
                first_limit[stage.name] = n
                print(f"    from N={n}: bounded by {bound}")
                break


if __name__ == "__main__":
    main()
