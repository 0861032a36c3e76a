"""A list of values sent to PostgreSQL as one array parameter.

`filter(pk__in=ids)` writes `IN (%s, %s, …)`, one placeholder per value: Django prepares each
value on its own, psycopg re-parses the statement's text on every run (it caches the parse
only below 50 parameters) and the text differs with the list's length, so PostgreSQL never
gets to reuse a prepared plan. The nightly run passes lists of 100–500 ids a dozen times a
part (issue 15 goal 2). `any_of("pk", ids)` writes `"id" = ANY(%s::bigint[])` instead: one
parameter, one statement text whatever the length, the same rows as `pk__in=ids`.
"""

from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db.models import F, Lookup


def element_type(field, connection) -> str:
    """The type an array parameter's elements are cast to: the column's, except that strings
    go as `text`. An explicit cast to `varchar(n)` cuts an over-long string silently; compared
    with or assigned to the column, a `text` value is taken as it is (an assignment refuses
    one that is too long: "value too long", as `save()` and `bulk_create` have it)."""
    db_type = field.db_type(connection)
    if db_type.startswith("varchar("):
        return "text"
    # No modifier either: `numeric(12, 2)` would round the values looked up (25000.004 would
    # find 25000.00), where the comparison must see them as they are.
    return db_type.split("(", 1)[0]


def one_of_sql(lhs: str, values: list, connection, db_type: str) -> tuple[str, list]:
    """SQL and parameters for "`lhs` is one of `values`" (a non-empty list): one array
    parameter on PostgreSQL; a placeholder per value elsewhere (SQLite, the embedded mode,
    has no arrays)."""
    if connection.vendor == "postgresql":
        return f"{lhs} = ANY(%s::{db_type}[])", [values]
    return f"{lhs} IN ({', '.join(['%s'] * len(values))})", list(values)


class AnyOf(Lookup):
    """`column = ANY(%s::type[])` on PostgreSQL; `column IN (…)` elsewhere (SQLite, the
    embedded mode). None never matches and an empty list sends nothing, as with `__in`.
    Values are ids or plain values (not model instances). Only to select rows, never negated
    (`exclude()`, `~Q`): Django adds `IS NOT NULL` to a negated `__in` on a nullable column,
    and does not to a lookup given as an expression."""

    lookup_name = "any_of"
    prepare_rhs = False  # the left side may still be an unresolved F() here

    def get_prep_lookup(self):
        return [value for value in self.rhs if value is not None]

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection) for value in self.rhs]
        if not values:
            raise EmptyResultSet  # as `__in=[]`: Django sends no statement that can match none
        sql, values = one_of_sql(lhs, values, connection, element_type(field, connection))
        return sql, [*params, *values]


def any_of(field: str, values: Iterable) -> AnyOf:
    """A filter: `field`'s value is one of `values` (as `field__in=values`), for
    `Model.objects.filter(any_of("pk", ids), …)`."""
    return AnyOf(F(field), list(values))
