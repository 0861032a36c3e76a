"""The command-line benchmarks' smoke runs (bench/README.md): each script run as documented, on
the test database and tiny sizes, so that none of them rots. Not measurements."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str) -> str:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "ismartpay.settings_test",
    }
    result = subprocess.run(
        [sys.executable, f"bench/{script}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks run on PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_the_autopay_benchmark_charges_every_plan_once_and_prints_rate_and_cpu_per_charge():
    _needs_postgres()
    out = _run(
        "autopay_bench.py",
        *("--plans", "20", "--threads", "2", "--processor-batch", "5", "--receipts", "eager"),
    )
    # The script itself asserts charged == processor charges == plans == the job's count.
    assert "charged=20 processor_charges=20" in out
    rates = r"rate=[\d.]+/s ms_per_charge=[\d.]+ cpu_ms_per_charge=[\d.]+ pg_cpu_ms_per_charge="
    assert re.search(rates + r"[\d.]+ ", out), out


@pytest.mark.django_db(transaction=True)
def test_the_charge_gate_race_never_charges_past_the_payoff():
    _needs_postgres()
    out = _run("charge_gate_race.py", "--trials", "2", "--latency-ms", "50")
    assert "trials=2 latency_ms=50 over_charged=0 exactly_one_charge=2 " in out, out


def test_the_scaling_model_names_what_saturates_first():
    out = subprocess.run(
        [sys.executable, "bench/scaling_sim.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "max_connections" in out and "autopay" in out, out


def test_the_autopay_benchmark_refuses_a_database_not_meant_for_it():
    result = subprocess.run(
        [sys.executable, "bench/autopay_bench.py", "--plans", "1"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/ismartpay"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "refusing 'ismartpay'" in result.stderr
