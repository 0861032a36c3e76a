from django.conf import settings
from django.db import models


class SignInEvent(models.Model):
    """One successful password sign-in, shown on the borrower's "Recent activity" page."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_events"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    device_label = models.CharField(max_length=80, blank=True)  # e.g. "Chrome on Android"
    # sha256 of the browser's long-lived device cookie; never the cookie itself.
    device_hash = models.CharField(max_length=64, blank=True)
    new_device = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="signin_user_recent")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} signed in at {self.created_at:%Y-%m-%d %H:%M}"


class AccountEvent(models.Model):
    """One security or money-authority event on the borrower's account, shown beside sign-ins
    on the "Recent activity" page. Written only by accounts.activity.activity_record, in the
    service that made the change (never by a signal)."""

    class Kind(models.TextChoices):
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET = "password_reset", "Password reset by email link"
        EMAIL_ADDED = "email_added", "Email address added"
        EMAIL_PRIMARY = "email_primary", "Main email address changed"
        EMAIL_REMOVED = "email_removed", "Email address removed"
        SECOND_FACTOR_ADDED = "second_factor_added", "Second sign-in step added"
        SECOND_FACTOR_REMOVED = "second_factor_removed", "Second sign-in step removed"
        NEW_DEVICE = "new_device", "Sign-in from a new device"
        METHOD_ADDED = "method_added", "Payment method added"
        METHOD_REMOVED = "method_removed", "Payment method removed"
        AUTOPAY_SET_UP = "autopay_set_up", "Autopay set up"
        AUTOPAY_CHANGED = "autopay_changed", "Autopay changed"
        THIRD_PARTY_INVITED = "third_party_invited", "Someone invited to your loan"
        THIRD_PARTY_REMOVED = "third_party_removed", "Someone's access removed"
        THIRD_PARTY_ACTION = "third_party_action", "Action by someone you shared with"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_events"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    detail = models.CharField(max_length=200, blank=True)  # plain words; never a full number
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="acctevent_user_recent")]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"
