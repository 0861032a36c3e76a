"""Second-factor devices for django-otp: TOTP with an encrypted key, and hashed recovery codes.

Both allow 5 wrong codes freely; after that each further try must wait, doubling from
OTP_THROTTLE_FACTOR seconds (the cool-off) up to OTP_THROTTLE_MAX_DELAY (15 minutes: someone
with the password must not lock the owner out for days), until a right code resets the count.
Each device counts its own failures: guessing app codes never delays a recovery code.
"""

import time
from binascii import unhexlify
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.models import Device, ThrottlingMixin, TimestampMixin, VerifyNotAllowed
from django_otp.oath import TOTP

from ismartpay.core.crypto import EncryptedTextField

FREE_FAILURES = 5
_MAX_DOUBLINGS = 30  # 2**30 s is decades: past this the cap has long applied


class CoolOffThrottlingMixin(ThrottlingMixin):
    """django-otp's throttling, but the first FREE_FAILURES wrong codes cost no wait."""

    class Meta:
        abstract = True

    def get_throttle_factor(self) -> float:
        return getattr(settings, "OTP_THROTTLE_FACTOR", 1)

    def throttle_delay(self) -> float:
        """Seconds to wait after the last wrong code (0 within the free tries)."""
        over = self.throttling_failure_count - FREE_FAILURES
        if over < 0:
            return 0
        delay = self.get_throttle_factor() * 2 ** min(over, _MAX_DOUBLINGS)
        return min(delay, getattr(settings, "OTP_THROTTLE_MAX_DELAY", 15 * 60))

    def verify_is_allowed(self):
        count = self.throttling_failure_count
        if self.throttling_enabled and count >= FREE_FAILURES and self.throttling_failure_timestamp:
            delay = self.throttle_delay()
            locked_until = self.throttling_failure_timestamp + timedelta(seconds=delay)
            if timezone.now() < locked_until:
                return False, {
                    "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                    "failure_count": count,
                    "locked_until": locked_until,
                }
        return Device.verify_is_allowed(self)


class TOTPDevice(TimestampMixin, CoolOffThrottlingMixin, Device):
    """An authenticator app (RFC 6238). The hex key is Fernet-encrypted at rest."""

    key = EncryptedTextField()  # hex of 20 random bytes, encrypted
    step = models.PositiveSmallIntegerField(default=30)  # seconds
    t0 = models.BigIntegerField(default=0)  # Unix time when counting starts
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)  # time steps either side
    drift = models.SmallIntegerField(default=0)  # time steps
    last_t = models.BigIntegerField(default=-1)  # step of the last accepted code: no reuse

    class Meta(Device.Meta):
        verbose_name = "authenticator app"

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        token = str(token).strip().replace(" ", "")
        verified = False
        if token.isdigit() and len(token) == self.digits:
            totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            totp.time = time.time()
            verified = totp.verify(int(token), self.tolerance, self.last_t + 1)
        if verified:
            self.last_t = totp.t()
            self.drift = totp.drift
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
        else:
            self.throttle_increment(commit=True)
        return verified


RECOVERY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


def normalize_recovery_code(code: str) -> str:
    return "".join(ch for ch in str(code).upper() if ch.isalnum())


class RecoveryCodeDevice(TimestampMixin, CoolOffThrottlingMixin, Device):
    """Single-use recovery codes; only keyed hashes are stored."""

    salt = models.CharField(max_length=32)

    class Meta(Device.Meta):
        verbose_name = "recovery codes"

    def code_hashes(self, code: str) -> list[str]:
        """Hashes of a code under the current SECRET_KEY and its fallbacks."""
        value = normalize_recovery_code(code)
        secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        return [
            salted_hmac(
                f"accounts.recovery:{self.salt}", value, secret=s, algorithm="sha256"
            ).hexdigest()
            for s in secrets
        ]

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        hashes = self.code_hashes(token)
        with transaction.atomic():
            unused = self.codes.select_for_update().filter(used_at__isnull=True)
            match = next(
                (c for c in unused if any(constant_time_compare(c.code_hash, h) for h in hashes)),
                None,
            )
            if match is None:
                self.throttle_increment(commit=True)
                return False
            match.used_at = timezone.now()
            match.save(update_fields=["used_at"])
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
        return True


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)  # HMAC-SHA256, hex
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Recovery code {self.pk} ({'used' if self.used_at else 'unused'})"
