"""One statement for many rows: `UPDATE … FROM unnest(arrays)` (PostgreSQL), each row's new
values by primary key, guarded by conditions on the row as it is (a conditional UPDATE, as the
one-row services write them), returning the ids it changed. SQLite (the embedded mode, small)
runs one guarded UPDATE per row. `insert_rows`: `bulk_create` in the same one statement.
Used where many rows are written at once: the nightly autopay chunks (payments/autopay), their
debit rows and receipts' outbox rows, and the sandbox processor's batch API.

Both send their arrays in binary (`_array_cursor`): PostgreSQL parses a text array literal of
numerics or timestamps at ≈ 4 µs an element, and psycopg quotes each element in Python; binary
is ≈ 3× faster end to end, and a part of 100 charges sends ≈ 10,000 elements.
"""

from collections.abc import Mapping, Sequence

import psycopg
from django.db import connection
from django.db.models import Model

from .arrays import element_type


class _BinaryParams(psycopg.Cursor):
    """A server-side binding cursor sending every `%s` parameter in binary (`%b`). Only for this
    module's statements, whose SQL has no other `%`; never prepared (as Django's own)."""

    def execute(self, query, params=None, **kwargs):
        return super().execute(query.replace("%s", "%b"), params, prepare=False)


def _array_cursor():
    """`_BinaryParams` on Django's connection, wrapped as `connection.cursor()` wraps its own
    (query logging, execute_wrappers: the statement-count tests see these statements)."""
    connection.validate_thread_sharing()
    connection.ensure_connection()
    raw = _BinaryParams(connection.connection)
    return (
        connection.make_debug_cursor(raw)
        if connection.queries_logged
        else connection.make_cursor(raw)
    )


def update_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence],
    *,
    guard: Mapping[str, object] | None = None,
    match: Sequence[str] = (),
) -> list[int]:
    """Set `fields` (model field names) from each row `(pk, *values, *match values)` where the
    row's `match` fields still hold the given values and each `guard` field holds its constant
    (a value, or a tuple: any of them). Returns the primary keys updated."""
    if not rows:
        return []
    guard = dict(guard or {})
    if connection.vendor != "postgresql":
        return _one_by_one(model, fields, rows, guard=guard, match=match)
    meta = model._meta
    columns = [meta.get_field(name) for name in (*fields, *match)]
    names = ["id", *[f"f{i}" for i in range(len(fields))], *[f"m{i}" for i in range(len(match))]]
    types = [element_type(field, connection) for field in (meta.pk, *columns)]
    arrays = [list(values) for values in zip(*rows, strict=True)]
    sets = ", ".join(f"{field.column} = v.f{i}" for i, field in enumerate(columns[: len(fields)]))
    where = ["t.id = v.id"]
    where += [f"t.{field.column} = v.m{i}" for i, field in enumerate(columns[len(fields) :])]
    params: list = []
    for name, value in guard.items():
        column = meta.get_field(name).column
        if isinstance(value, tuple):
            where.append(f"t.{column} = ANY(%s)")
            params.append(list(value))
        else:
            where.append(f"t.{column} = %s")
            params.append(value)
    unnest = ", ".join(f"%s::{db_type}[]" for db_type in types)
    sql = (
        f"UPDATE {meta.db_table} AS t SET {sets} "  # noqa: S608 — names from the model
        f"FROM unnest({unnest}) AS v({', '.join(names)}) "
        f"WHERE {' AND '.join(where)} RETURNING t.id"
    )
    with _array_cursor() as cur:
        cur.execute(sql, [*arrays, *params])
        return [row[0] for row in cur.fetchall()]


def _one_by_one(model, fields, rows, *, guard, match) -> list[int]:
    done = []
    lookups = {k: v for k, v in guard.items() if not isinstance(v, tuple)}
    lookups |= {f"{k}__in": list(v) for k, v in guard.items() if isinstance(v, tuple)}
    for pk, *values in rows:
        new, same = values[: len(fields)], values[len(fields) :]
        query = model.objects.filter(pk=pk, **lookups, **dict(zip(match, same, strict=True)))
        if query.update(**dict(zip(fields, new, strict=True))):
            done.append(pk)
    return done


# Field types whose Python values psycopg takes as they are (Django's per-value preparation
# returns them unchanged for these: str, Decimal, date, aware datetime, bool, int, None).
_PLAIN = {
    "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "DateField", "DateTimeField",
    "DecimalField", "EmailField", "ForeignKey", "IntegerField", "OneToOneField",
    "PositiveIntegerField", "PositiveSmallIntegerField", "SmallIntegerField", "TextField",
}  # fmt: skip


def insert_rows(
    model: type[Model], objs: list[Model], *, ignore_conflicts: bool = False
) -> list[Model]:
    """`bulk_create(objs)` in one `INSERT … SELECT * FROM unnest(arrays) RETURNING id`, as
    Django writes it on PostgreSQL, without its per-value preparation (≈ 1 µs a value, 30
    values a payment) for the plain field types; the objects get their primary keys. Other
    databases, and models with database defaults, go through `bulk_create`.

    `ignore_conflicts`: `INSERT … ON CONFLICT DO NOTHING`, as `bulk_create(ignore_conflicts=
    True)`: a row that would break a unique constraint is not inserted (safe to run twice), and,
    as there, the objects get no primary keys (which rows went in is not known per object)."""
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    if not objs or connection.vendor != "postgresql" or any(f.has_db_default() for f in fields):
        return model.objects.bulk_create(objs, ignore_conflicts=ignore_conflicts)
    arrays = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values = [field.pre_save(obj, True) for obj in objs]  # sets the timestamp on obj
        else:
            values = [getattr(obj, field.attname) for obj in objs]
        if field.get_internal_type() not in _PLAIN:
            values = [field.get_db_prep_save(value, connection) for value in values]
        arrays.append(values)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    unnest = ", ".join(f"%s::{element_type(f, connection)}[]" for f in fields)
    pk = connection.ops.quote_name(meta.pk.column)
    tail = "ON CONFLICT DO NOTHING" if ignore_conflicts else f"RETURNING {pk}"
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT * FROM unnest({unnest}) {tail}"
    )
    with _array_cursor() as cur:
        cur.execute(sql, arrays)
        if ignore_conflicts:
            return objs
        for obj, (pk_value,) in zip(objs, cur.fetchall(), strict=True):
            obj.pk, obj._state.adding, obj._state.db = pk_value, False, connection.alias
    return objs
