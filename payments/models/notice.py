from django.db import models
from django.db.models import Q


class Notice(models.Model):
    """One email we owe someone: an outbox row, unique by dedupe_key, so it is sent once.

    A payment's notice is written in the same transaction as the payment's change (no row for a
    change that rolled back) and rendered when first claimed; other notices are written already
    rendered. A sender claims a row by a conditional update of claimed_at (one winner), sends,
    then sets sent_at. A row without sent_at is delivered by the sweep: at once when nobody
    holds it, after the claim lease when a sender died or the send failed, at most
    `payments.notifications.MAX_ATTEMPTS` times. See docs/reliability.md, "Broker or cache down".
    """

    kind = models.CharField(max_length=40)
    dedupe_key = models.CharField(max_length=160, unique=True)  # e.g. payment:42:received
    recipient = models.EmailField()
    # The payment the email is about; its subject and body are rendered at the first claim.
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
    )
    # The portal user it was sent to, when the address is a known user's: the notification
    # centre lists the user's notices (never by address, which a user can change).
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notices",
    )
    read_at = models.DateTimeField(null=True, blank=True)  # first opened in the portal
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)  # rendered once: a retry sends exactly what was claimed
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # last time a sender took it
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # claims so far, successful or not
    last_error = models.CharField(max_length=200, blank=True)  # why the last try failed

    class Meta:
        indexes = [
            models.Index(fields=["sent_at", "created_at"]),
            models.Index(fields=["user", "-created_at"], name="notice_user_recent"),
            # The sweep's question: which notices are still owed?
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="notice_unsent"
            ),
        ]

    def __str__(self) -> str:
        return self.dedupe_key
