from django.conf import settings
from django.db import models
from django.db.models import Q

US_TIME_ZONES = [
    ("America/New_York", "Eastern"),
    ("America/Chicago", "Central"),
    ("America/Denver", "Mountain"),
    ("America/Phoenix", "Arizona"),
    ("America/Los_Angeles", "Pacific"),
    ("America/Anchorage", "Alaska"),
    ("Pacific/Honolulu", "Hawaii"),
    ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
]


class Profile(models.Model):
    """A borrower's mailing address and preferences (reminders are read by notifications)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    address_line1 = models.CharField("address", max_length=120, blank=True)
    address_line2 = models.CharField("apartment, suite (optional)", max_length=120, blank=True)
    city = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=2, blank=True)  # USPS code, e.g. "NY"
    postal_code = models.CharField("ZIP code", max_length=10, blank=True)
    time_zone = models.CharField(max_length=40, choices=US_TIME_ZONES, default="America/New_York")
    remind_by_email = models.BooleanField("email me before a payment is due", default=True)
    remind_days_before = models.PositiveSmallIntegerField(default=3)  # days before the due date
    closure_requested_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(remind_days_before__gte=1, remind_days_before__lte=14),
                name="profile_remind_days_1_to_14",
            ),
        ]

    def __str__(self) -> str:
        return f"Profile of {self.user}"
