"""A borrower's request to change their loan's terms: a new due day, or a payment extension."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ismartpay.core.models import TimeStampedModel


class BorrowerRequest(TimeStampedModel):
    """A due-date change or a payment extension asked for in the portal.

    Approved automatically when the pure rules (loans/request_rules.py) pass, otherwise
    pending until staff approve or reject it in the admin. Approval runs the staff servicing
    service (loans/servicing.py), so it is applied once (→ applied) and audited.
    """

    class Kind(models.TextChoices):
        DUE_DAY = "due_day", "Due-date change"
        EXTENSION = "extension", "Payment extension"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for our team"
        APPLIED = "applied", "Approved and done"
        REJECTED = "rejected", "Not approved"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    loan = models.ForeignKey(
        "loans.Loan", on_delete=models.PROTECT, related_name="borrower_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="borrower_requests"
    )
    due_day = models.PositiveSmallIntegerField(null=True, blank=True)  # due_day requests: 1–28
    months = models.PositiveSmallIntegerField(null=True, blank=True)  # extensions: months
    # Why the rules did not approve it automatically (empty when they did).
    reasons = models.JSONField(default=list, blank=True)
    quote = models.JSONField(default=dict, blank=True)  # the figures shown before submitting
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(  # None: approved automatically by the rules
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="borrower_requests_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_on = models.DateField(null=True, blank=True)  # lender business date it took effect
    decision_note = models.CharField(max_length=200, blank=True)
    change = models.JSONField(default=dict, blank=True)  # the service's before/after

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="due_day", due_day__gte=1, due_day__lte=28, months__isnull=True)
                | Q(kind="extension", months__gte=1, due_day__isnull=True),
                name="borrower_request_kind_fields",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "applied", "rejected"]),
                name="borrower_request_status_valid",
            ),
            # One open request of each kind per loan: a second submit is not a second request.
            models.UniqueConstraint(
                fields=["loan", "kind"],
                condition=Q(status="pending"),
                name="one_pending_borrower_request_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        what = f"day {self.due_day}" if self.kind == "due_day" else f"{self.months} month(s)"
        return f"{self.get_kind_display()} ({what}) on {self.loan} — {self.get_status_display()}"
