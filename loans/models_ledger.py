"""The servicing ledger: LoanPosting, one append-only row per change to a loan's balances
(written only by loans/services.py; see the class docstring for the sums it keeps)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from ismartpay.core.models import money_field


def received_expression():
    """LoanPosting.received as a query expression (fees + interest + principal + unapplied)."""
    return models.ExpressionWrapper(
        models.F("fees") + models.F("interest") + models.F("principal") + models.F("unapplied"),
        output_field=models.DecimalField(max_digits=12, decimal_places=2),
    )


class LoanPosting(models.Model):
    """One append-only row of the servicing ledger: every change to a loan's balances.

    Amounts are what the posting *applies* to each balance, in dollars: positive pays the
    balance down, negative adds to it (a fee assessed, a reversal of a payment). Interest that
    accrued up to `effective_date` is added first (`interest_accrued`, >= 0), so for every loan:

        principal_balance = opening principal - sum(principal)
        accrued_interest  = opening interest + sum(interest_accrued) - sum(interest)
        unpaid_fees       = opening fees - sum(fees)
        paid_toward_installments = opening + sum(counts_toward_installments)

    Rows are never updated or deleted: a mistake is undone by a `reversal` posting.
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REVERSAL = "reversal", "Reversal"
        LATE_FEE = "late_fee", "Late fee"
        NSF_FEE = "nsf_fee", "Returned-payment fee"
        FEE_WAIVER = "fee_waiver", "Fee waived"
        WRITE_OFF = "write_off", "Payoff residual written off"
        ADJUSTMENT = "adjustment", "Lender record update"

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="postings")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    effective_date = models.DateField()  # business date in the lender's timezone
    fees = money_field(default=Decimal("0.00"))
    interest = money_field(default=Decimal("0.00"))
    principal = money_field(default=Decimal("0.00"))
    interest_accrued = money_field(default=Decimal("0.00"))  # added before applying
    # A payoff payment above the payoff on its effective date: owed back to the borrower.
    unapplied = money_field(default=Decimal("0.00"))
    # Part of a regular payment credited toward scheduled installments (interest + principal).
    counts_toward_installments = money_field(default=Decimal("0.00"))
    principal_only = models.BooleanField(default=False)
    installment_number = models.PositiveSmallIntegerField(null=True, blank=True)  # late fees
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    # e.g. the payoff payment whose residual a write-off cleared; reversed together with it.
    caused_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="consequences"
    )
    external_ref = models.CharField(max_length=80, blank=True)  # e.g. "payment:123"
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    memo = models.CharField(max_length=200, blank=True)  # the reason, for waivers and reversals
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="loan_postings",
    )
    created_by_label = models.CharField(max_length=80, blank=True)  # "system:autopay", "user:7"
    created_at = models.DateTimeField(auto_now_add=True)
    # The loan's balances right after this posting (for statements and audits).
    principal_balance_after = money_field()
    accrued_interest_after = money_field()
    unpaid_fees_after = money_field()

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["loan", "kind", "-effective_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "payment",
                        "reversal",
                        "late_fee",
                        "nsf_fee",
                        "fee_waiver",
                        "write_off",
                        "adjustment",
                    ]
                ),
                name="loan_posting_kind_valid",
            ),
            models.CheckConstraint(
                condition=(Q(kind="reversal") & Q(reverses__isnull=False))
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="loan_posting_reversal_has_target",
            ),
            models.CheckConstraint(
                condition=~Q(kind="late_fee") | Q(installment_number__isnull=False),
                name="loan_posting_late_fee_has_installment",
            ),
            models.CheckConstraint(
                condition=Q(
                    principal_balance_after__gte=0,
                    accrued_interest_after__gte=0,
                    unpaid_fees_after__gte=0,
                ),
                name="loan_posting_balances_after_non_negative",
            ),
            models.UniqueConstraint(
                fields=["loan", "installment_number"],
                condition=Q(kind="late_fee"),
                name="one_late_fee_per_installment",
            ),
            models.UniqueConstraint(
                fields=["kind", "external_ref"],
                condition=~Q(external_ref="") & Q(kind__in=["payment", "nsf_fee"]),
                name="one_posting_per_kind_and_external_ref",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.effective_date} ({self.loan_id})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Ledger postings are append-only; post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger postings are append-only; post a reversal instead.")

    @property
    def total(self) -> Decimal:
        """What the posting applied to the balances (a payment's amount net of any refund)."""
        return self.fees + self.interest + self.principal

    @property
    def received(self) -> Decimal:
        """The amount received: what was applied plus what could not be (`unapplied`, owed
        back). The one place this sum is made (received_expression is the same, in SQL)."""
        return self.total + self.unapplied
