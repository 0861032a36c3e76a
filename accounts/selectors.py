"""Reads for the borrower's account pages."""

from dataclasses import dataclass

from django_otp_webauthn.models import WebAuthnCredential

from .models import AccountEvent, Profile, RecoveryCodeDevice, SignInEvent, TOTPDevice, User


@dataclass(frozen=True)
class SecurityStatus:
    totp_device: TOTPDevice | None
    passkeys: list[WebAuthnCredential]
    recovery_codes_left: int

    @property
    def enabled(self) -> bool:
        return bool(self.totp_device or self.passkeys)


@dataclass(frozen=True)
class SecondFactorMethods:
    totp: bool
    passkey: bool


def security_status_for_user(user: User) -> SecurityStatus:
    recovery = RecoveryCodeDevice.objects.filter(user=user).first()
    return SecurityStatus(
        totp_device=TOTPDevice.objects.filter(user=user, confirmed=True).first(),
        passkeys=list(WebAuthnCredential.objects.filter(user=user, confirmed=True)),
        recovery_codes_left=recovery.remaining() if recovery else 0,
    )


def second_factor_methods(user: User) -> SecondFactorMethods:
    return SecondFactorMethods(
        totp=TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        passkey=WebAuthnCredential.objects.filter(user=user, confirmed=True).exists(),
    )


def recent_sign_ins(user: User, limit: int = 20) -> list[SignInEvent]:
    return list(SignInEvent.objects.filter(user=user)[:limit])


def profile_for_user(user: User) -> Profile:
    """The user's profile; an unsaved one with defaults if they never saved preferences."""
    return Profile.objects.filter(user=user).first() or Profile(user=user)


@dataclass(frozen=True)
class ActivityEntry:
    at: object  # aware datetime
    title: str
    detail: str
    badge: str = ""


def account_activity(user: User, limit: int = 50) -> list[ActivityEntry]:
    """Sign-ins and every security or money-authority event, newest first."""
    entries = [
        ActivityEntry(
            e.created_at,
            "Signed in",
            f"{e.device_label or 'Unknown device'} · IP {e.ip or 'unknown'}",
        )
        for e in SignInEvent.objects.filter(user=user)[:limit]
    ]
    entries += [
        ActivityEntry(e.created_at, e.get_kind_display(), e.detail, badge="Security")
        for e in AccountEvent.objects.filter(user=user)[:limit]
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]
