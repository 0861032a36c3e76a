"""The optional read replica (ismartpay/core/replica.py): only reads that say so go there,
never inside a transaction on the primary, never a write or a migration."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction

from ismartpay.core.replica import REPLICA, ReplicaRouter, read_only_selector, replica_reads
from loans.models import Loan

ROOT = Path(__file__).resolve().parent.parent.parent


def test_reads_go_to_the_replica_only_inside_replica_reads():
    router = ReplicaRouter()
    assert router.db_for_read(Loan) is None
    with replica_reads():
        assert router.db_for_read(Loan) == REPLICA
        assert router.db_for_write(Loan) is None
    assert router.db_for_read(Loan) is None


def test_a_read_only_selector_reads_the_replica_and_nothing_after_it_does():
    router = ReplicaRouter()
    where = read_only_selector(lambda: router.db_for_read(Loan))
    assert (where(), router.db_for_read(Loan)) == (REPLICA, None)


@pytest.mark.django_db
def test_inside_a_transaction_the_primary_is_read():
    router = ReplicaRouter()
    with transaction.atomic(), replica_reads():
        assert router.db_for_read(Loan) is None


def test_the_replica_is_never_migrated():
    router = ReplicaRouter()
    assert router.allow_migrate(REPLICA, "loans") is False
    assert router.allow_migrate("default", "loans") is None


DUMP = (
    "import json; from ismartpay import settings as s; "
    "print(json.dumps({'aliases': sorted(s.DATABASES), "
    "'routers': getattr(s, 'DATABASE_ROUTERS', []), "
    "'replica': s.DATABASES.get('replica', {}).get('HOST')}))"
)


@pytest.mark.parametrize(
    ("replica_url", "expected"),
    [
        ("", {"aliases": ["default"], "routers": [], "replica": None}),
        (
            "postgres://u@replica.internal:5432/ismartpay",
            {
                "aliases": ["default", "replica"],
                "routers": ["ismartpay.core.replica.ReplicaRouter"],
                "replica": "replica.internal",
            },
        ),
    ],
)
def test_the_replica_is_off_unless_its_url_is_set(replica_url, expected):
    env = {
        "PATH": "/usr/bin:/bin",
        "ISMARTPAY_VAR_DIR": "/tmp/ismartpay-settings-test",
        "DEBUG": "true",
        "DATABASE_URL": "postgres://u@primary.internal:5432/ismartpay",
        "DATABASE_REPLICA_URL": replica_url,
    }
    out = subprocess.run(
        [sys.executable, "-c", DUMP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == expected
