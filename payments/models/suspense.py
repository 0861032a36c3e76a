"""Suspense (unapplied funds): money we hold that no loan could take — a check above the
payoff, a remittance line matching no loan, a payment on a closed loan. Staff apply it to a
loan, refund it, or (for a whole payment on the wrong loan) move it; each step is a
SuspenseAction row, append-only, and `balance` is what is still held."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ismartpay.core.models import TimeStampedModel, money_field

from .payment import Payment, PaymentChannel


class SuspenseReason(models.TextChoices):
    OVERPAYMENT = "overpayment", "More than the payoff"
    UNIDENTIFIED = "unidentified", "No matching loan"
    LOAN_CLOSED = "loan_closed", "Loan closed or paid off"
    MOVED = "moved", "Left over after moving a payment"
    REVERSED = "reversed", "Payment reversed"


class SuspenseItem(TimeStampedModel):
    Reason = SuspenseReason

    class Status(models.TextChoices):
        OPEN = "open", "Open"  # some balance still held
        CLEARED = "cleared", "Cleared"  # all applied, refunded or voided

    # "remit:<hash of the money>" for a remittance line (services/remittance.py), "payment:<id>"
    # for a payment's excess: a re-run finds the item it made instead of holding the money twice.
    idempotency_key = models.CharField(max_length=80, unique=True)
    amount = money_field()  # dollars received into suspense
    balance = money_field()  # dollars still held (amount − applied − refunded − voided)
    reason = models.CharField(max_length=14, choices=Reason.choices)
    channel = models.CharField(max_length=14, choices=PaymentChannel.choices)
    reference = models.CharField(max_length=40, blank=True)  # check no., wire or network ref
    received_on = models.DateField()  # business date the money arrived
    # The lender that received the money: it may only go to that lender's loans
    # (services/ownership.py). Null only on items held before it was recorded (migration 0013
    # backfills from the loan or payment).
    lender = models.ForeignKey(
        "loans.Lender", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    loan = models.ForeignKey(  # the loan it was meant for, when known
        "loans.Loan", on_delete=models.PROTECT, null=True, blank=True, related_name="suspense"
    )
    payment = models.ForeignKey(  # the payment it came with, when there is one
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="suspense"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(max_length=200, blank=True)  # e.g. the remittance line as read

    class Meta:
        permissions = [
            ("manage_suspense", "Can apply, move or refund unapplied funds"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, balance__gte=0, balance__lte=models.F("amount")),
                name="suspense_balance_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(reason__in=SuspenseReason.values), name="suspense_reason_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        from ismartpay.core.templatetags.ui import usd

        return f"Suspense item {self.pk}: {usd(self.balance)} held of {usd(self.amount)}"


class SuspenseAction(models.Model):
    """One step taken on a suspense item: money in, applied to a loan, refunded, voided."""

    class Kind(models.TextChoices):
        RECEIVED = "received", "Received"
        APPLIED = "applied", "Applied to a loan"
        REFUNDING = "refunding", "Refund sent to the processor"  # claimed; not yet confirmed
        REFUNDED = "refunded", "Refunded"
        VOIDED = "voided", "Voided (the money never arrived)"

    item = models.ForeignKey(SuspenseItem, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = money_field()  # dollars this step took out of (or, RECEIVED, put into) suspense
    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, null=True, blank=True)
    payment = models.ForeignKey(  # the payment an APPLIED step created on the loan
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Refunds: the processor's refund id, or the outgoing check/wire number staff give.
    refund_reference = models.CharField(max_length=80, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ${self.amount}"
