"""Django's PostgreSQL backend, knowing the protocol's limit of 65,535 parameters a statement.

With parameters bound server-side (ismartpay/settings.py, `_postgres_statement_options`) each
value is a protocol parameter, and a statement with more than 65,535 fails ("number of
parameters must be between 0 and 65535"); bound client-side, Django never met the limit, so
its PostgreSQL backend declares none. Django cuts its own many-row statements by
`features.max_query_params` (`bulk_update`, `in_bulk`) and `ops.bulk_batch_size` (the
deletion collector, `bulk_create`), as it does for SQLite and Oracle. Filters are ours to keep
small: a list that grows with the book goes through `ismartpay.core.arrays.any_of`.
"""

from django.db.backends.postgresql import base, features, operations
from django.utils.functional import cached_property

PROTOCOL_MAX_PARAMS = 65_535  # a Bind message counts its parameters in 16 bits


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self):
        return PROTOCOL_MAX_PARAMS if self.uses_server_side_binding else None


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        """Rows a statement may carry. Two parameters a field: `bulk_update` passes
        ["pk", "pk", *fields] and sends 2 × fields + 1 a row (WHEN id THEN value, per field, and
        the id list); the deletion collector and `bulk_create` send at most one a field."""
        limit = self.connection.features.max_query_params
        if limit and fields:
            return max(limit // (2 * len(fields)), 1)
        return super().bulk_batch_size(fields, objs)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations
