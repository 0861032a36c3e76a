"""ismartpay.core.bulk.insert_rows: many rows in one statement, as bulk_create would write them."""

import datetime as dt

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from ismartpay.core.bulk import insert_rows, update_rows
from payments.models import SandboxCharge

pytestmark = pytest.mark.django_db


def _charge(key: str, cents: int) -> SandboxCharge:
    return SandboxCharge(
        idempotency_key=key,
        processor_ref=f"ch_{key}",
        token="tok_visa",
        amount_cents=cents,
        status="succeeded",
        created_on=dt.date(2026, 12, 4),
    )


def test_ignore_conflicts_inserts_the_new_rows_and_leaves_an_existing_one_as_it_was():
    _charge("k1", 100).save()
    rows = [_charge("k1", 99_999), _charge("k2", 200), _charge("k3", 300)]
    with CaptureQueriesContext(connection) as queries:
        returned = insert_rows(SandboxCharge, rows, ignore_conflicts=True)
    assert len(queries) == 1
    assert "ON CONFLICT DO NOTHING" in queries[0]["sql"]
    assert returned is rows
    assert dict(SandboxCharge.objects.values_list("idempotency_key", "amount_cents")) == {
        "k1": 100,  # the row already there, not overwritten
        "k2": 200,
        "k3": 300,
    }


def test_insert_rows_gives_each_object_its_primary_key_and_its_timestamp():
    rows = insert_rows(SandboxCharge, [_charge("a", 1), _charge("b", 2)])
    stored = {c.pk: (c.idempotency_key, c.created_at) for c in SandboxCharge.objects.all()}
    assert {r.pk: (r.idempotency_key, r.created_at) for r in rows} == stored
    assert all(r.created_at is not None and not r._state.adding for r in rows)


def test_without_ignore_conflicts_a_duplicate_key_is_refused_and_nothing_goes_in():
    _charge("dup", 100).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(SandboxCharge, [_charge("new", 5), _charge("dup", 7)])
    assert list(SandboxCharge.objects.values_list("idempotency_key", flat=True)) == ["dup"]


def test_a_string_longer_than_its_column_is_refused_not_cut_and_nothing_goes_in():
    # idempotency_key is varchar(80). Two keys sharing their first 80 characters must not
    # collapse into one row (a cast to varchar(80) would cut both and ON CONFLICT drop one).
    long_a, long_b = "k" * 80 + "-a", "k" * 80 + "-b"
    for ignore_conflicts in (False, True):
        with pytest.raises(DataError, match="too long"), transaction.atomic():
            insert_rows(
                SandboxCharge,
                [_charge("ok", 1), _charge(long_a, 2), _charge(long_b, 3)],
                ignore_conflicts=ignore_conflicts,
            )
    assert SandboxCharge.objects.count() == 0


def test_update_rows_refuses_a_string_longer_than_its_column():
    charge = _charge("short", 1)
    charge.save()
    with pytest.raises(DataError, match="too long"), transaction.atomic():
        update_rows(SandboxCharge, ["processor_ref"], [(charge.pk, "r" * 41)])
    charge.refresh_from_db()
    assert charge.processor_ref == "ch_short"
