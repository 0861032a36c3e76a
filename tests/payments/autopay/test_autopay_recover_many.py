"""A crashed run of a large book leaves more orphaned debits than one statement may carry
parameters (65,535 with server-side binding, ismartpay/settings.py): the sweep lists them with
one array parameter (ismartpay.core.arrays.any_of), not an IN list of one placeholder each."""

from collections import Counter

import pytest
from autopay_fixtures import BULK_RUN_DATE, bulk_due_plans
from django.db import connection
from django.utils import timezone

from payments.autopay import engine

pytestmark = pytest.mark.django_db
ORPHANS = 70_000  # > 65,535


def test_the_sweep_takes_over_more_orphaned_debits_than_a_statement_has_parameters(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the parameter limit is PostgreSQL's protocol")
    (plan_id,) = bulk_due_plans(1, prefix="M")
    with connection.cursor() as cur:  # DUE debits of no run, older than ORPHAN_AFTER
        cur.execute(
            "INSERT INTO payments_autopaydebit (plan_id, period_key, run_date, status, attempts,"
            " idempotency_key, reason, claimed_by, created_at, updated_at)"
            " SELECT %s, DATE '1900-01-01' + g, %s, 'due', 0, '', '', '',"
            " now() - interval '1 day', now() - interval '1 day'"
            " FROM generate_series(1, %s) g",
            [plan_id, BULK_RUN_DATE, ORPHANS],
        )
    taken: list[int] = []

    def charge_chunk(ids, *, on, now):
        taken.extend(ids)
        return Counter(charged=len(ids))

    monkeypatch.setattr(engine, "autopay_charge_chunk", charge_chunk)
    now = timezone.now()
    outcomes = engine.autopay_recover(now=now, on=BULK_RUN_DATE, wall=now)
    assert outcomes["charged"] == len(taken) == len(set(taken)) == ORPHANS
    assert taken == sorted(taken)  # in chunks, each in id order
