"""A staff request for a money-moving action that needs a second pair of eyes."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ismartpay.core.models import TimeStampedModel, money_field


class StaffRequest(TimeStampedModel):
    """A fee waiver, refund, reversal or credit adjustment waiting for (or past) a decision.

    Made by a support agent (any amount) or by a supervisor above the lender's
    `four_eyes_threshold`; approved or rejected by another supervisor. Approval claims the row
    (pending → approved, one conditional UPDATE) and then runs the same service a supervisor
    acting alone would run, so it executes exactly once (→ executed).
    """

    class Kind(models.TextChoices):
        WAIVE_FEE = "waive_fee", "Fee waiver"
        CREDIT = "credit", "Credit adjustment"
        REFUND = "refund", "Refund"
        REVERSE = "reverse", "Payment reversal"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a supervisor"
        APPROVED = "approved", "Approved, executing"
        REJECTED = "rejected", "Rejected"
        EXECUTED = "executed", "Approved and done"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="staff_requests")
    # Refunds and reversals name the payment; waivers and credits name only the loan.
    payment = models.ForeignKey(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff_requests",
    )
    amount = money_field()  # dollars: what is waived, credited, refunded or reversed
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_requests_made"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff_requests_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=200, blank=True)
    # Balances {"principal","interest","fees","payoff"} as strings, when the request was made
    # (before) and as the action would leave them (after), computed with the pure loan maths.
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    posting = models.ForeignKey(  # the ledger row the execution made
        "loans.LoanPosting", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-pk"]
        permissions = [
            ("request_adjustment", "Can request a fee waiver, refund, reversal or credit"),
            ("approve_request", "Can approve or reject another person's staff request"),
            ("post_credit", "Can post a credit adjustment"),
            ("change_loan_terms", "Can change a loan's due day, maturity or rate"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["waive_fee", "credit", "refund", "reverse"]),
                name="staff_request_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "executed"]),
                name="staff_request_status_valid",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="staff_request_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=["waive_fee", "credit"]) | Q(payment__isnull=False),
                name="staff_request_payment_kinds_name_payment",
            ),
            # Four eyes, in the database too: nobody decides their own request.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="staff_request_not_self_decided",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ${self.amount} on {self.loan} ({self.status})"
