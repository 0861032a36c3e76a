"""One statement for many rows: `UPDATE … FROM unnest(arrays)` (PostgreSQL), each row's new
values by primary key, guarded by conditions on the row as it is (a conditional UPDATE, as the
one-row services write them), returning the ids it changed. SQLite (the embedded mode, small)
runs one guarded UPDATE per row."""

from collections.abc import Mapping, Sequence

from django.db import connection
from django.db.models import Model


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
    types = [meta.pk.db_type(connection), *[field.db_type(connection) for field in columns]]
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
    with connection.cursor() as cur:
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
