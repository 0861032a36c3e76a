"""ismartpay.core.crypto: Fernet over FIELD_ENCRYPTION_KEYS, first key encrypts, all decrypt."""

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from accounts.user_agents import describe_user_agent
from ismartpay.core.crypto import DecryptionError, decrypt_str, encrypt_str, reencrypt_str


def test_round_trip_and_every_encryption_differs():
    token = encrypt_str("000123456789")
    assert token != encrypt_str("000123456789")
    assert "000123456789" not in token
    assert decrypt_str(token) == "000123456789"


def test_keys_rotate_add_new_first_reencrypt_then_drop_old():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        token = encrypt_str("secret")
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        assert decrypt_str(token) == "secret"
        token = reencrypt_str(token)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert decrypt_str(token) == "secret"
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]), pytest.raises(DecryptionError):
        decrypt_str(token)


def test_a_tampered_token_is_refused():
    token = encrypt_str("secret")
    with pytest.raises(DecryptionError):
        decrypt_str(token[:-4] + "AAAA")


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/126 Safari/537 Edg/126",
            "Edge on Windows",
        ),
        ("curl/8.0", "Unknown device"),
    ],
)
def test_user_agents_get_short_labels(user_agent, label):
    assert describe_user_agent(user_agent) == label
