"""Target 25: add a new key first, re-encrypt, drop the old key: every row still decrypts."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from payments.models import PaymentMethod

ACCOUNT = "000123456789"


def _raw_account_numbers() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT account_number FROM payments_paymentmethod WHERE kind = 'bank'")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_bank_account_numbers_are_encrypted_at_rest(add_bank):
    add_bank(ACCOUNT)
    [raw] = _raw_account_numbers()
    assert ACCOUNT not in raw and raw.startswith("gAAAA")  # a Fernet token
    assert PaymentMethod.objects.get().account_number == ACCOUNT


@pytest.mark.django_db
def test_rotating_keys_keeps_every_row_readable(add_bank, settings):
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    for _ in range(3):
        add_bank(ACCOUNT)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]
    out = StringIO()
    call_command("reencrypt_fields", stdout=out)
    assert "payments.PaymentMethod.account_number: 3 re-encrypted" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old keys are gone
    assert [m.account_number for m in PaymentMethod.objects.all()] == [ACCOUNT] * 3
    assert all(
        Fernet(new_key).decrypt(raw.encode()) == ACCOUNT.encode() for raw in _raw_account_numbers()
    )


@pytest.mark.django_db
def test_without_rotation_dropping_the_old_key_makes_rows_unreadable(add_bank, settings):
    from ismartpay.core.crypto import DecryptionError

    add_bank(ACCOUNT)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError):
        list(PaymentMethod.objects.all())
