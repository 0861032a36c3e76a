from django.conf import settings
from django.db import models
from django.db.models import Q

from ismartpay.core.crypto import EncryptedTextField
from ismartpay.core.models import TimeStampedModel

from ..cards import BRAND_LABELS


class PaymentMethod(TimeStampedModel):
    """A card or bank account a borrower pays from. Cards: only the processor's token and
    display facts. Bank accounts: the account number encrypted at rest, shown by last 4."""

    class Kind(models.TextChoices):
        CARD = "card", "Card"
        BANK = "bank", "Bank account"

    class AccountType(models.TextChoices):
        CHECKING = "checking", "Checking"
        SAVINGS = "savings", "Savings"

    owner = models.ForeignKey(  # null for a guest's one-off method
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="payment_methods",
    )
    kind = models.CharField(max_length=4, choices=Kind.choices)
    processor_token = models.CharField(max_length=80, unique=True)
    last4 = models.CharField(max_length=4)
    # Cards
    brand = models.CharField(max_length=20, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    funding = models.CharField(max_length=10, blank=True)
    # Bank accounts
    holder_name = models.CharField(max_length=120, blank=True)
    routing_number = models.CharField(max_length=9, blank=True)
    account_number = EncryptedTextField(blank=True)
    account_type = models.CharField(max_length=8, choices=AccountType.choices, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)  # micro-deposits confirmed
    verification_attempts = models.PositiveSmallIntegerField(default=0)
    # Lifecycle
    is_default = models.BooleanField(default=False)
    disabled_reason = models.CharField(max_length=120, blank=True)  # e.g. "R02 account closed"
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["card", "bank"]), name="method_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(is_default=True, removed_at__isnull=True),
                name="one_default_method_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.kind == self.Kind.CARD:
            return f"{BRAND_LABELS.get(self.brand, 'Card')} •••• {self.last4}"
        return f"{self.get_account_type_display() or 'Bank'} •••• {self.last4}"

    @property
    def is_usable(self) -> bool:
        return self.removed_at is None and not self.disabled_reason

    @property
    def needs_verification(self) -> bool:
        """A borrower's bank account is validated (micro-deposits) before its first debit, as
        NACHA expects of web-authorized debits. A guest's one-off account is validated by the
        processor when it is registered."""
        return (
            self.kind == self.Kind.BANK and self.owner_id is not None and self.verified_at is None
        )

    def can_debit(self, *, on) -> bool:
        """Whether its owner can pay with it on `on` (the charge gate's rule, payments/rules.py)."""
        from ..rules import method_refusal

        return method_refusal(self, payer_id=self.owner_id, on=on) is None

    def is_expired(self, *, on) -> bool:
        """Cards work through the last day of their expiry month."""
        if self.kind != self.Kind.CARD or not self.exp_year:
            return False
        return (self.exp_year, self.exp_month) < (on.year, on.month)

    def expires_within(self, *, on, months: int = 2) -> bool:
        if self.kind != self.Kind.CARD or not self.exp_year:
            return False
        months_left = (self.exp_year - on.year) * 12 + (self.exp_month - on.month)
        return 0 <= months_left < months


class BankVerificationAttempts(TimeStampedModel):
    """Wrong micro-deposit tries of one borrower for one bank account, kept across removing
    and re-adding the account (re-adding must not buy new guesses). The account is named by
    its fingerprint, a keyed HMAC of routing + account number, never the number itself."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bank_verifications"
    )
    fingerprint = models.CharField(max_length=64)  # HMAC-SHA256 hex, keyed by SECRET_KEY
    failures = models.PositiveSmallIntegerField(default=0)  # wrong tries since the last lock
    locked_until = models.DateTimeField(null=True, blank=True)  # no tries, no re-add before

    class Meta:
        verbose_name_plural = "bank verification attempts"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "fingerprint"], name="one_bank_verification_row_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.failures} wrong tries (user {self.owner_id})"
