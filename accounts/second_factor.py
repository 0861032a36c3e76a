"""Every change to a user's second factors (django-otp devices) goes through here."""

import secrets
from dataclasses import dataclass
from datetime import datetime

from allauth.core import ratelimit
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.util import random_hex
from django_otp_webauthn.models import WebAuthnCredential

from .activity import activity_record
from .emails import security_notice_send
from .models import AccountEvent, RecoveryCode, RecoveryCodeDevice, TOTPDevice, User
from .models.devices import FREE_FAILURES, RECOVERY_ALPHABET
from .sessions import sessions_end_others

RECOVERY_CODE_COUNT = 10


class SecondFactorLocked(Exception):
    """Too many wrong codes: the user must wait (cool-off), never locked for good."""

    def __init__(self, until: datetime | None = None):
        self.until = until
        super().__init__("Too many attempts.")

    @property
    def seconds_left(self) -> int | None:
        """Seconds until the device's own wait ends; None when a rate limit (per device or per
        address, up to 5 minutes) stopped the try, whose end is not known here."""
        if self.until is None:
            return None
        return max(1, int((self.until - timezone.now()).total_seconds()) + 1)


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str]


def totp_device_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for `user` (replacing any earlier unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(
        user=user, name="Authenticator app", key=random_hex(20), confirmed=False
    )


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def recovery_codes_generate(*, user: User) -> list[str]:
    """Replace the user's recovery codes with 10 new ones; returns them (shown once)."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        RecoveryCodeDevice.objects.filter(user=user).delete()
        device = RecoveryCodeDevice.objects.create(
            user=user, name="Recovery codes", salt=secrets.token_hex(16), confirmed=True
        )
        RecoveryCode.objects.bulk_create(
            RecoveryCode(device=device, code_hash=device.code_hashes(code)[0]) for code in codes
        )
    return codes


def totp_device_confirm(
    *, request: HttpRequest, device: TOTPDevice, token: str
) -> Enrolment | None:
    """Confirm an authenticator with its first code. On success the user has a second factor,
    this session counts as verified, other sessions end and the user is emailed."""
    user = device.user
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, confirmed=False)
        if not device.verify_token(token):
            return None
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        user.has_second_factor = True
        user.save(update_fields=["has_second_factor"])
        codes = recovery_codes_generate(user=user)
        activity_record(user=user, kind=AccountEvent.Kind.SECOND_FACTOR_ADDED, detail="App")
    sessions_end_others(request, user)
    request.user.has_second_factor = True
    otp_login(request, device)
    security_notice_send(request, user, "second_factor_added")
    return Enrolment(device=device, recovery_codes=codes)


def passkey_registered(*, request: HttpRequest, user: User) -> list[str]:
    """A passkey was just added (by django-otp-webauthn's ceremony). The user now has a second
    factor; other sessions end, the user is emailed. Returns new recovery codes if the user had
    none (to show once), else []."""
    with transaction.atomic():
        user.has_second_factor = True
        user.save(update_fields=["has_second_factor"])
        has_codes = RecoveryCodeDevice.objects.filter(user=user).exists()
        codes = [] if has_codes else recovery_codes_generate(user=user)
        activity_record(user=user, kind=AccountEvent.Kind.SECOND_FACTOR_ADDED, detail="Passkey")
    sessions_end_others(request, user)
    security_notice_send(request, user, "second_factor_added", method="passkey")
    return codes


def _delete_all_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    user.has_second_factor = False
    user.save(update_fields=["has_second_factor"])


def second_factor_remove(*, request: HttpRequest, user: User) -> None:
    """Remove every device of `user`; other sessions end and the user is emailed."""
    with transaction.atomic():
        _delete_all_devices(user)
        activity_record(user=user, kind=AccountEvent.Kind.SECOND_FACTOR_REMOVED)
    sessions_end_others(request, user)
    security_notice_send(request, user, "second_factor_removed")


def second_factor_reset_by_staff(*, user: User) -> None:
    """Support removes a borrower's devices (after checking identity); audited by the caller."""
    with transaction.atomic():
        _delete_all_devices(user)
        activity_record(
            user=user, kind=AccountEvent.Kind.SECOND_FACTOR_REMOVED, detail="Reset by support"
        )


def _looks_like_totp(code: str) -> bool:
    return code.isdigit() and len(code) in (6, 8)


def second_factor_verify(*, request: HttpRequest, user: User, code: str):
    """Check `code` against the user's authenticator (digits) or recovery codes (letters).

    Returns the device that accepted it, or None. Raises SecondFactorLocked while that device
    or the client's IP is cooling off. Tries are counted per device, so guessing app codes
    never stops the owner's recovery code; a right recovery code also clears the app's count.
    The owner is emailed when a burst of wrong codes starts the waits.
    """
    code = code.strip().replace(" ", "")
    model = TOTPDevice if _looks_like_totp(code) else RecoveryCodeDevice
    device = model.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return None
    if not ratelimit.consume(request, action="otp_verify", key=device.persistent_id):
        raise SecondFactorLocked()
    with transaction.atomic():
        device = model.objects.select_for_update().get(pk=device.pk)
        allowed, data = device.verify_is_allowed()
        if not allowed:
            raise SecondFactorLocked((data or {}).get("locked_until"))
        verified = device.verify_token(code)
        if verified and model is RecoveryCodeDevice:
            for app in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
                app.throttle_reset()
    if not verified:
        # Once per burst: the wrong code that starts the waits (the count only goes back to 0
        # after a right code), never on every try.
        if device.throttling_failure_count == FREE_FAILURES:
            security_notice_send(request, user, "second_factor_guessing")
        return None
    return device


def second_factor_session_complete(*, request: HttpRequest, device) -> None:
    """Mark this session as having passed the second factor, with a fresh session key."""
    otp_login(request, device)
    request.session.cycle_key()


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()
