from django.conf import settings
from django.db import models
from django.db.models import Q

from ismartpay.core.models import TimeStampedModel, money_field

from .methods import PaymentMethod


class PaymentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"  # a future date; not yet sent
    HELD = "held", "Held for review"  # broke a velocity/sanity rule: staff approve or reject
    SUBMITTING = "submitting", "Submitting"  # row committed; processor call under way
    UNKNOWN = "unknown", "Checking with the processor"  # no answer: the sweep resolves it
    PENDING = "pending", "At the bank"  # bank debit accepted and posted; settles later
    POSTED = "posted", "Posted"  # card captured and applied to the loan
    SETTLED = "settled", "Settled"  # bank debit settled
    FAILED = "failed", "Declined"
    RETURNED = "returned", "Returned"  # bank debit returned after posting
    REFUNDING = "refunding", "Being refunded"  # staff refund claimed; processor call next
    REFUNDED = "refunded", "Refunded"
    REVERSED = "reversed", "Reversed"
    CANCELLED = "cancelled", "Cancelled"


class PaymentSource(models.TextChoices):
    ONE_TIME = "one_time", "One-time"
    AUTOPAY = "autopay", "Autopay"
    GUEST = "guest", "Guest"
    STAFF = "staff", "Recorded by staff"  # a check, wire, cash network or phone payment
    REMITTANCE = "remittance", "Remittance file"  # a lockbox or cash-network batch line


class PaymentChannel(models.TextChoices):
    """How the money reached us. PORTAL and PHONE go through the processor; the others are
    money already in hand when staff record it (no processor call)."""

    PORTAL = "portal", "Online"
    PHONE = "phone", "Phone (agent)"
    CHECK = "check", "Check"
    MONEY_ORDER = "money_order", "Money order"
    WIRE = "wire", "Wire transfer"
    MONEYGRAM = "moneygram", "MoneyGram"
    WESTERN_UNION = "western_union", "Western Union"
    PAYNEARME = "paynearme", "PayNearMe"
    LOCKBOX = "lockbox", "Lockbox"


# Money that came through the processor: refunds go back through it. Everything else is paper,
# wire or cash: a refund is an outgoing check or wire staff record with its reference.
GATEWAY_CHANNELS = (PaymentChannel.PORTAL, PaymentChannel.PHONE)
# Paper the bank can send back unpaid after it was posted (returned check → reversal + NSF fee).
RETURNABLE_PAPER = (PaymentChannel.CHECK, PaymentChannel.MONEY_ORDER, PaymentChannel.LOCKBOX)


class Payment(TimeStampedModel):
    """One payment toward a loan. The row, with its idempotency key, is committed before the
    processor is called; every change of status appends a PaymentEvent (services.py)."""

    Status = PaymentStatus
    Source = PaymentSource
    Channel = PaymentChannel

    # The status vocabulary, named once (payments/statuses.py presents it; events.ALLOWED moves
    # between them). Applied: on the loan now. Undone: posted once, then taken back off.
    APPLIED_STATUSES = (PaymentStatus.POSTED, PaymentStatus.PENDING, PaymentStatus.SETTLED)
    UNDONE_STATUSES = (PaymentStatus.RETURNED, PaymentStatus.REFUNDED, PaymentStatus.REVERSED)
    # A receipt shows money we received: applied now, or applied once and then undone.
    RECEIPT_STATUSES = APPLIED_STATUSES + UNDONE_STATUSES
    IN_FLIGHT_STATUSES = (PaymentStatus.SUBMITTING, PaymentStatus.UNKNOWN)  # processor call open
    WAITING_STATUSES = (PaymentStatus.SCHEDULED, PaymentStatus.HELD)  # not sent yet
    # No transition leaves these (events.ALLOWED). REVERSED is not one: a reversed check the
    # bank later sends back unpaid becomes RETURNED.
    FINAL_STATUSES = (
        PaymentStatus.FAILED,
        PaymentStatus.RETURNED,
        PaymentStatus.REFUNDED,
        PaymentStatus.CANCELLED,
    )

    reference = models.CharField(max_length=16, unique=True)  # shown to the borrower
    idempotency_key = models.CharField(max_length=80, unique=True)
    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="payments")
    payer = models.ForeignKey(  # who paid: borrower, co-borrower or authorized third party
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    payer_email = models.EmailField()  # where the receipt goes (a guest has no account)
    # None for money received outside the processor (check, wire, cash network, lockbox).
    method = models.ForeignKey(
        PaymentMethod, on_delete=models.PROTECT, related_name="payments", null=True, blank=True
    )
    method_kind = models.CharField(max_length=4, blank=True)  # snapshot: card | bank | ""
    method_label = models.CharField(max_length=60)  # snapshot: "Visa •••• 4242", "Check #1234"
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ONE_TIME)
    channel = models.CharField(max_length=14, choices=Channel.choices, default=Channel.PORTAL)
    # The outside channel's own reference: check number, wire reference, network receipt number.
    channel_reference = models.CharField(max_length=40, blank=True)
    amount = money_field()  # applied to the loan
    fee_amount = money_field(default=0)  # card convenience fee, charged on top
    principal_only = models.BooleanField(default=False)
    is_payoff = models.BooleanField(default=False)  # paying a payoff quote: tolerance applies
    # The one-time debit authorization the payer confirmed (bank debits: Regulation E/NACHA).
    authorization_text = models.TextField(blank=True)
    # payments.authorizations.ONE_TIME_VERSION when the text was shown; "" when none was needed.
    authorization_version = models.CharField(max_length=16, blank=True, default="")
    scheduled_for = models.DateField()  # the date the borrower chose
    effective_date = models.DateField()  # business date it counts (cut-off applied)
    status = models.CharField(max_length=10, choices=Status.choices)
    # Why it ended as it did, in words for the payer (e.g. the charge gate's refusal).
    status_reason = models.CharField(max_length=200, blank=True)
    # Captured money the loan could not take (paid down meanwhile, or a payoff quote paid above
    # the payoff on its date), in dollars. It is given back through the processor under its own
    # key, `refund:unapplied:<idempotency_key>`; refunded_at is set once the processor agreed.
    unapplied_amount = money_field(default=0)
    unapplied_refund_ref = models.CharField(max_length=80, blank=True)
    unapplied_refunded_at = models.DateTimeField(null=True, blank=True)
    processor_ref = models.CharField(max_length=80, blank=True)
    risk_flags = models.JSONField(default=list, blank=True)  # why it was held, if it was
    decline_code = models.CharField(max_length=40, blank=True)
    return_code = models.CharField(max_length=4, blank=True)
    # The ledger posting this payment made (None until it is applied). PROTECT: the ledger is
    # append-only, a posting is never deleted.
    loan_posting = models.ForeignKey(
        "loans.LoanPosting",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["loan", "-created_at"]),
            models.Index(fields=["status", "effective_date"]),
            models.Index(fields=["payer", "-created_at"]),
        ]
        permissions = [
            ("review_payment", "Can approve or reject a payment held for review"),
            ("record_payment", "Can record a check, wire, cash or phone payment or a remittance"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0, fee_amount__gte=0), name="payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(unapplied_amount__gte=0, unapplied_amount__lte=models.F("amount")),
                name="payment_unapplied_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(source__in=PaymentSource.values), name="payment_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=PaymentChannel.values), name="payment_channel_valid"
            ),
            models.CheckConstraint(  # only money already in hand comes without a method
                condition=Q(method__isnull=False) | ~Q(channel__in=GATEWAY_CHANNELS),
                name="payment_gateway_channel_has_method",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def total_charged(self):
        return self.amount + self.fee_amount

    @property
    def applied_amount(self):
        """What reached the loan (the rest, if any, is refunded)."""
        return self.amount - self.unapplied_amount

    @property
    def through_gateway(self) -> bool:
        """Taken by the processor (refunds go back through it), not money received in hand."""
        return self.channel in GATEWAY_CHANNELS

    @property
    def is_bank(self) -> bool:
        return self.method_kind == PaymentMethod.Kind.BANK


class PaymentEvent(models.Model):
    """Append-only history of a payment: every status change, who or what made it, when."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    actor_label = models.CharField(max_length=60)  # "borrower", "system:settle", "staff"
    processor_ref = models.CharField(max_length=80, blank=True)
    detail = models.JSONField(default=dict, blank=True)  # codes and reasons; never card data

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.from_status or '∅'} → {self.to_status}"
