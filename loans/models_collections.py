"""Collections: nightly days-past-due buckets, contact notes, promises to pay, account flags.

Rows are written only by loans/collections.py; notes and flags are append-only (a flag is
ended by setting its end date, never deleted), each write audited.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ismartpay.core.models import money_field


class DelinquencySnapshot(models.Model):
    """One open loan's standing on one business date, stored by the nightly `collections` job."""

    class Bucket(models.TextChoices):
        CURRENT = "current", "Current"
        B1_29 = "1-29", "1–29 days"
        B30_59 = "30-59", "30–59 days"
        B60_89 = "60-89", "60–89 days"
        B90 = "90+", "90+ days"

    loan = models.ForeignKey("loans.Loan", on_delete=models.CASCADE, related_name="snapshots")
    business_date = models.DateField()
    days_past_due = models.PositiveIntegerField()  # days since the oldest unpaid due date
    bucket = models.CharField(max_length=8, choices=Bucket.choices)
    amount_past_due = money_field()  # dollars: unpaid installments due before the date
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "collections queue entry"
        verbose_name_plural = "collections queue"
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "business_date"], name="snapshot_once_per_loan_and_date"
            ),
            models.CheckConstraint(
                condition=Q(bucket__in=["current", "1-29", "30-59", "60-89", "90+"]),
                name="snapshot_bucket_valid",
            ),
        ]
        indexes = [models.Index(fields=["business_date", "bucket"], name="snapshot_date_bucket")]

    def __str__(self) -> str:
        return f"{self.loan} {self.business_date}: {self.bucket}"


class ContactNote(models.Model):
    """A staff contact with the borrower (append-only)."""

    class Channel(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        LETTER = "letter", "Letter"
        SMS = "sms", "SMS"

    class Outcome(models.TextChoices):
        REACHED = "reached", "Reached the borrower"
        LEFT_MESSAGE = "left_message", "Left a message"
        NO_ANSWER = "no_answer", "No answer"
        WRONG_NUMBER = "wrong_number", "Wrong number"
        PROMISED = "promised", "Promise to pay"
        REFUSED = "refused", "Refused to pay"
        SENT = "sent", "Sent"

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="contact_notes")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("record_contact", "Can add contact notes and promises to pay")]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["call", "email", "letter", "sms"]),
                name="contact_note_channel_valid",
            ),
        ]

    def __str__(self) -> str:
        from ismartpay.core.today import business_date

        day = business_date(self.loan.lender, now=self.created_at)  # the lender's date
        return f"{self.loan} {self.get_channel_display()} {day:%Y-%m-%d}"


class PromiseToPay(models.Model):
    """The borrower promised `amount` by `promised_date`; one open promise per loan.

    Kept when payments posted on the loan from `created_on` to `promised_date` total at least
    `amount`; broken the day after `promised_date` otherwise (the nightly `collections` job).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        KEPT = "kept", "Kept"
        BROKEN = "broken", "Broken"

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="promises")
    promised_date = models.DateField()
    amount = money_field()  # dollars
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_on = models.DateField()  # lender's business date the promise was taken
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_amount = money_field(null=True, blank=True)  # what the postings showed when resolved
    resolved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = "promise to pay"
        verbose_name_plural = "promises to pay"
        constraints = [
            models.UniqueConstraint(
                fields=["loan"], condition=Q(status="open"), name="one_open_promise_per_loan"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(
                condition=Q(promised_date__gte=F("created_on")), name="promise_date_not_before"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "kept", "broken"]), name="promise_status_valid"
            ),
        ]

    def __str__(self) -> str:
        from ismartpay.core.templatetags.ui import usd

        return f"{self.loan}: {usd(self.amount)} by {self.promised_date} ({self.status})"


class AccountFlag(models.Model):
    """A fact about the borrower that changes what the jobs do (loans/flags.py), for the days
    `start_date`..`end_date` (inclusive; no end while open)."""

    class Kind(models.TextChoices):
        HARDSHIP = "hardship", "Hardship"
        MILITARY = "military", "Active-duty military (SCRA)"
        BANKRUPTCY = "bankruptcy", "Bankruptcy"
        DECEASED = "deceased", "Deceased"

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="flags")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    reason = models.TextField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-start_date", "-pk"]
        permissions = [("manage_account_flags", "Can set and end account flags")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["hardship", "military", "bankruptcy", "deceased"]),
                name="account_flag_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="account_flag_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        end = self.end_date or "open"
        return f"{self.get_kind_display()} {self.start_date}–{end} on {self.loan}"
