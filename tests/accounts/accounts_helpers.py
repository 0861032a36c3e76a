"""Small helpers shared by the accounts tests (imported as a plain module)."""

import re

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core import mail

LOGIN_URL = "/accounts/login/"
OTP_URL = "/account/security/code/"


def sign_in(client, email, password, **extra):
    return client.post(LOGIN_URL, {"login": email, "password": password}, **extra)


def link_in_last_mail(pattern=r"https?://\S+") -> str:
    body = mail.outbox[-1].body
    match = re.search(pattern, body)
    assert match, body
    return re.sub(r"^https?://[^/]+", "", match.group(0))


class TimingTestHasher(PBKDF2PasswordHasher):
    """PBKDF2 at 1/20 of production's iterations: hashing costs real time (~20 ms), so a
    timing test sees a hash that one path does and the other skips, without taking minutes."""

    iterations = PBKDF2PasswordHasher.iterations // 20


def add_credential(user):
    """A confirmed passkey (django-otp-webauthn's WebAuthnCredential) for `user`."""
    from django_otp_webauthn.models import WebAuthnCredential

    return WebAuthnCredential.objects.create(
        user=user,
        name="Phone",
        credential_id=b"cred-" + str(user.pk).encode(),
        public_key=b"not-a-real-key",
        sign_count=0,
        confirmed=True,
    )
