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
