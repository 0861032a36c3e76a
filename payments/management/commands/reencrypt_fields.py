"""Key rotation: put the new key first in FIELD_ENCRYPTION_KEYS, run this, then drop the old key.

Re-encrypts every EncryptedTextField value of every model with the first key, in batches,
each batch in its own transaction (safe to stop and run again: a value already under the new
key is simply re-encrypted once more).
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from ismartpay.core.crypto import EncryptedTextField, reencrypt_str

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields with the first key in FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedTextField):
                    count = self._rotate(model, field)
                    total += count
                    self.stdout.write(f"{model._meta.label}.{field.name}: {count} re-encrypted")
        self.stdout.write(f"Done: {total} values re-encrypted with the first key.")

    def _rotate(self, model, field) -> int:
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(field.column)
        pk = connection.ops.quote_name(model._meta.pk.column)
        done, last = 0, None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                # Raw SQL on purpose: the ORM would hand us decrypted text.
                where = f"{column} IS NOT NULL AND {column} <> ''"
                params: list = []
                if last is not None:
                    where += f" AND {pk} > %s"
                    params.append(last)
                cursor.execute(
                    f"SELECT {pk}, {column} FROM {table} WHERE {where} ORDER BY {pk} LIMIT {BATCH}",  # noqa: S608 — names quoted by the backend, values bound
                    params,
                )
                rows = cursor.fetchall()
                for row_pk, token in rows:
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        [reencrypt_str(token), row_pk],
                    )
            if not rows:
                return done
            done += len(rows)
            last = rows[-1][0]
