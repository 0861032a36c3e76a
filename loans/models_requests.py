"""A staff request for a money-moving action that needs a second pair of eyes."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ismartpay.core.models import TimeStampedModel, money_field

# For the check constraints (the Kind choices below, as stored).
KINDS = [
    "waive_fee",
    "credit",
    "refund",
    "reverse",
    "record_received",
    "return_check",
    "move_payment",
    "suspense_refund",
    "rate_change",
    "remittance",
    "suspense_apply",
    "account_flag",
]
# Kinds with no amount (they always need a second supervisor).
NO_AMOUNT_KINDS = ["rate_change", "account_flag"]
# Kinds that may name no loan: a refund of unidentified suspense; a remittance file (many loans).
NO_LOAN_KINDS = ["suspense_refund", "remittance"]
PAYMENT_KINDS = ["refund", "reverse", "return_check", "move_payment"]


class StaffRequest(TimeStampedModel):
    """A staff money action (fee waiver, credit, refund, reversal, money received in hand, a
    returned check, a moved payment, a suspense refund) or a rate change, waiting for (or past)
    a decision — or done by one person alone (`acted_alone`).

    Made by a support agent (waivers etc.: any amount) or by anyone above the lender's
    `four_eyes_threshold` (loans/staff_requests.py says exactly what counts); approved or
    rejected by another supervisor. Approval claims the row (pending → approved, committed)
    and then runs the same service acting alone runs, under the row lock, so it executes
    exactly once (→ executed). An action done alone is recorded too (approved at once, then
    executed): its amount counts against the threshold for the rest of the lender's business
    day, and the recovery sweep finishes it if the process died between claim and execution.
    """

    class Kind(models.TextChoices):
        WAIVE_FEE = "waive_fee", "Fee waiver"
        CREDIT = "credit", "Credit adjustment"
        REFUND = "refund", "Refund"
        REVERSE = "reverse", "Payment reversal"
        RECORD_RECEIVED = "record_received", "Money received in hand"
        RETURN_CHECK = "return_check", "Returned check"
        MOVE_PAYMENT = "move_payment", "Payment moved to another loan"
        SUSPENSE_REFUND = "suspense_refund", "Suspense refund"
        RATE_CHANGE = "rate_change", "Rate change"
        REMITTANCE = "remittance", "Remittance file"
        SUSPENSE_APPLY = "suspense_apply", "Suspense applied to a loan"
        ACCOUNT_FLAG = "account_flag", "Account flag (hardship or SCRA)"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a supervisor"
        APPROVED = "approved", "Approved, executing"
        REJECTED = "rejected", "Rejected"
        EXECUTED = "executed", "Approved and done"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The loan the action changes (a payment move: the loan it leaves). Only a suspense refund
    # of money no loan was matched to has none.
    loan = models.ForeignKey(
        "loans.Loan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff_requests",
    )
    # The lender whose business day and threshold the request counts against (loan.lender, or a
    # remittance file's lender). Null on requests made before it was recorded.
    lender = models.ForeignKey(
        "loans.Lender", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Refunds, reversals, returns and moves name the payment; money received names the payment
    # it made once executed; waivers, credits and rate changes name only the loan.
    payment = models.ForeignKey(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff_requests",
    )
    # Dollars: what is waived, credited, refunded, reversed, received or moved; none for a
    # rate change (it always needs a second supervisor).
    amount = money_field(null=True, blank=True)
    # What else the service needs, as JSON strings: received {channel, reference,
    # effective_date}; return_check {return_code}; move_payment {to_loan}; suspense_refund
    # {item, reference}; rate_change {apr_percent}; remittance {lender, channel, file_name,
    # lines: [{number, loan_id, loan_number, label, amount, date, reference}]}; suspense_apply
    # {item}; account_flag {flag, start_date, end_date}. Outcome ids are added on execution
    # (received: {suspense}).
    params = models.JSONField(default=dict, blank=True)
    reason = models.TextField()
    # One person did it alone (at or below the threshold): approved at once, no decider.
    acted_alone = models.BooleanField(default=False)
    # The lender's business date the action was asked for (what the threshold sums over).
    business_date = models.DateField(null=True, blank=True)
    # `<kind>:<the form's one-time token>`: a resubmitted form finds this row and gets the
    # first outcome instead of a second action or request.
    submit_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    # SHA-256 of who submitted what (actor, kind, loan, payment, amount, params as submitted):
    # the same token with anything else is refused, never replayed (staff_requests.py).
    submit_fingerprint = models.CharField(max_length=64, blank=True)
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
    # The same figures as the loan actually stood just before and just after the execution
    # (the loan may have changed since the request was made): what an executed request shows.
    executed_before = models.JSONField(default=dict, blank=True)
    executed_after = models.JSONField(default=dict, blank=True)
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
            models.CheckConstraint(condition=Q(kind__in=KINDS), name="staff_request_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "executed"]),
                name="staff_request_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(kind__in=NO_AMOUNT_KINDS, amount__isnull=True),
                name="staff_request_amount_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=PAYMENT_KINDS) | Q(payment__isnull=False),
                name="staff_request_payment_kinds_name_payment",
            ),
            models.CheckConstraint(
                condition=Q(loan__isnull=False) | Q(kind__in=NO_LOAN_KINDS),
                name="staff_request_names_loan",
            ),
            models.CheckConstraint(
                condition=Q(acted_alone=False) | Q(decided_by__isnull=True),
                name="staff_request_alone_has_no_decider",
            ),
            # Four eyes, in the database too: nobody decides their own request.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="staff_request_not_self_decided",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["loan", "kind", "business_date"], name="staff_request_day_idx"),
        ]

    def __str__(self) -> str:
        from ismartpay.core.templatetags.ui import usd

        amount = f" {usd(self.amount)}" if self.amount is not None else ""
        on = self.loan or self.lender or "money matched to no loan"  # a file names no loan
        return f"{self.get_kind_display()}{amount} on {on} ({self.status})"
