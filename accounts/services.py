"""Profile and account-closure changes (second factors: second_factor.py)."""

from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .models import Profile, User

PROFILE_FIELDS = [
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "time_zone",
    "remind_by_email",
    "remind_days_before",
]


def profile_update(*, user: User, full_name: str, phone: str, **preferences) -> Profile:
    """Save name, phone, mailing address and reminder preferences."""
    with transaction.atomic():
        user.full_name = full_name
        user.phone = phone
        user.save(update_fields=["full_name", "phone"])
        profile, _ = Profile.objects.get_or_create(user=user)
        for field in PROFILE_FIELDS:
            if field in preferences:
                setattr(profile, field, preferences[field])
        profile.save()
    return profile


def account_closure_request(*, user: User, reason: str, ip: str | None = None) -> Profile:
    """Record that the borrower asked to close the account; staff act on it (audited, with
    the client's `ip`). The view emails the security notice (allauth's mail needs the request)."""
    with transaction.atomic():
        profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
        if profile.closure_requested_at is None:
            profile.closure_requested_at = timezone.now()
            profile.closure_reason = reason
            profile.save(update_fields=["closure_requested_at", "closure_reason", "updated_at"])
            audit_record(
                actor=user,
                action="account.closure_requested",
                target=user,
                reason=reason,
                ip=ip,
            )
    return profile
