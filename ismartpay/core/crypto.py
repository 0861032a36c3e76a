"""Field encryption with settings.FIELD_ENCRYPTION_KEYS (Fernet: first key encrypts, all decrypt).

API, kept small on purpose so every app uses it the same way:

- ``encrypt_str(text) -> token`` and ``decrypt_str(token) -> text``;
- ``reencrypt_str(token) -> token``: re-encrypts with the first key (key rotation: add the new
  key first, re-encrypt every row, then drop the old key);
- ``EncryptedTextField``: a model field stored as a Fernet token and read back as text. Its values
  cannot be searched or filtered on (every encryption differs); keep a separate hash or a
  "last 4" column for that.

Keys are read from settings on use, never at import time.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class DecryptionError(ValueError):
    """The token was not made with any of the configured keys, or was altered."""


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _keys() -> MultiFernet:
    return _multifernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_str(plaintext: str) -> str:
    """Encrypt text with the first configured key; the token is ASCII."""
    return _keys().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_str(token: str) -> str:
    """Decrypt a token made by ``encrypt_str`` with any configured key."""
    try:
        return _keys().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError("Cannot decrypt: unknown key or altered value.") from exc


def reencrypt_str(token: str) -> str:
    """Re-encrypt a token with the first configured key (for key rotation)."""
    try:
        return _keys().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise DecryptionError("Cannot re-encrypt: unknown key or altered value.") from exc


class EncryptedTextField(models.TextField):
    """Text encrypted at rest with ``encrypt_str``; reads return the plain text."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt_str(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else encrypt_str(value)
