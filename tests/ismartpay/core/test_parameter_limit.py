"""Bound server-side (ismartpay/settings.py), a statement carries at most 65,535 parameters.
Django batches its own many-row statements by `max_query_params`, which it sets only for
SQLite and Oracle; our PostgreSQL backend (ismartpay.core.postgresql) sets it, so a
`bulk_update` or a `delete()` of many rows is cut into statements that fit."""

import datetime as dt

import pytest
from django.db import connection

from ismartpay.core.bulk import insert_rows
from payments.models import SandboxCharge

pytestmark = pytest.mark.django_db
ROWS = 25_000  # bulk_update sends 3 parameters a row (CASE WHEN id THEN value, and the id list)


def _postgres():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's protocol limit")


def test_the_backend_declares_the_protocol_limit():
    _postgres()
    assert connection.features.max_query_params == 65_535
    # bulk_update of F fields passes F + 2 names and sends 2F + 1 parameters a row.
    assert connection.ops.bulk_batch_size(["pk", "pk", "amount_cents"], [None] * ROWS) == 10_922


def test_bulk_update_of_more_rows_than_one_statement_carries_updates_every_row():
    _postgres()
    charges = insert_rows(
        SandboxCharge,
        [
            SandboxCharge(
                idempotency_key=f"k{i}",
                processor_ref=f"ch_{i}",
                token="tok_visa",
                amount_cents=1,
                status="succeeded",
                created_on=dt.date(2026, 12, 4),
            )
            for i in range(ROWS)
        ],
    )
    for charge in charges:
        charge.amount_cents = 2
    SandboxCharge.objects.bulk_update(charges, ["amount_cents"])
    assert SandboxCharge.objects.filter(amount_cents=2).count() == ROWS
    for charge in charges:  # two fields: 5 parameters a row (a reviewer's case)
        charge.amount_cents, charge.status = 3, "refunded"
    SandboxCharge.objects.bulk_update(charges, ["amount_cents", "status"])
    assert SandboxCharge.objects.filter(amount_cents=3, status="refunded").count() == ROWS
