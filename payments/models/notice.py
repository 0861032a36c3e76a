from django.db import models


class Notice(models.Model):
    """One email we owe someone, claimed by a unique key before it is sent, so a job that runs
    twice (or two workers) sends it once. A row without sent_at is retried by the sweep."""

    kind = models.CharField(max_length=40)
    dedupe_key = models.CharField(max_length=160, unique=True)  # e.g. payment:42:received
    recipient = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()  # rendered once: a retry sends exactly what was claimed
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["sent_at", "created_at"])]

    def __str__(self) -> str:
        return self.dedupe_key
