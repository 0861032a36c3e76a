"""Borrower documents: monthly statements, year-end interest statements, paperless consent and
the title (lien) release after payoff. Statements are snapshots: made once from the ledger
(loans.LoanPosting) and never recomputed, so what a borrower read stays what they read."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ismartpay.core.models import TimeStampedModel, money_field


class Statement(models.Model):
    """One loan's monthly statement for one billing cycle (docs/statements.md).

    Cycle n bills installment n: it closes `period_end` = installment n's due date minus
    CYCLE_DAYS_BEFORE_DUE (21) and covers ledger postings whose effective date is in
    [period_start, period_end]. Money fields are dollars; "paid" amounts are net of reversals
    in the period.
    """

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="statements")
    cycle_number = models.PositiveSmallIntegerField()  # = the installment it bills
    period_start = models.DateField()
    period_end = models.DateField()  # the closing date
    made_on = models.DateField()  # the nightly run's business date
    # Activity in the period (from the ledger).
    payments_total = money_field()  # fees + interest + principal of payments, net of reversals
    fees_paid = money_field()
    interest_paid = money_field()
    principal_paid = money_field()
    fees_assessed = money_field()  # late and returned-payment fees added in the period
    fees_waived = money_field()  # waivers and fee reversals
    interest_charged = money_field()  # interest accrued and posted in the period
    # Balances at the close of the period.
    principal_balance = money_field()
    accrued_interest = money_field()  # posted, unpaid interest at the close
    unpaid_fees = money_field()
    # What is due.
    due_date = models.DateField()  # installment `cycle_number`'s due date
    amount_due = money_field()  # past due + this installment + fees, less what was paid
    past_due_amount = money_field()
    # Each posting in the period: {"date", "kind", "label", "fees", "interest", "principal",
    # "total", "memo"} with money as strings ("25.00"), in effective-date order.
    lines = models.JSONField(default=list)
    message = models.TextField(blank=True)  # the message area
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "cycle_number"], name="one_statement_per_cycle"
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="statement_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Statement {self.period_end} ({self.loan_id})"


class YearEndStatement(models.Model):
    """Interest paid on a loan in one calendar year, from the ledger (payments net of
    reversals, by effective date). Made in January by the nightly run, or on request."""

    loan = models.ForeignKey(
        "loans.Loan", on_delete=models.PROTECT, related_name="year_end_statements"
    )
    year = models.PositiveSmallIntegerField()
    interest_paid = money_field()
    made_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "year"], name="one_year_end_per_loan_year")
        ]

    def __str__(self) -> str:
        return f"{self.year} interest statement ({self.loan_id})"


class PaperlessConsent(models.Model):
    """A person's E-SIGN consent (15 U.S.C. § 7001(c)) to get statements electronically.

    One row per consent given; withdrawing stamps `withdrawn_at` and the person goes back to
    paper. Active = the latest row without `withdrawn_at`. The disclosure they agreed to is
    kept by version (documents/disclosures.py) and by its SHA-256.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="paperless_consents"
    )
    disclosure_version = models.CharField(max_length=20)
    disclosure_sha256 = models.CharField(max_length=64)
    email = models.EmailField()  # the address the consent was given for
    consented_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-consented_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_active_paperless_consent",
            )
        ]

    def __str__(self) -> str:
        return f"Paperless {self.disclosure_version} for {self.user_id}"


class TitleRelease(TimeStampedModel):
    """After payoff: the lender releases its lien and sends the title (docs/statements.md).

    Steps, in order, each dated once: requested → released → sent (by mail, or electronically
    through the state's electronic lien and title system). Staff move it on in the admin.
    """

    class Step(models.TextChoices):
        REQUESTED = "requested", "Release requested"
        RELEASED = "released", "Lien released"
        SENT = "sent", "Title sent"

    class Delivery(models.TextChoices):
        MAIL = "mail", "Mailed"
        ELECTRONIC = "electronic", "Electronic (state ELT)"

    loan = models.OneToOneField(
        "loans.Loan", on_delete=models.PROTECT, related_name="title_release"
    )
    step = models.CharField(max_length=10, choices=Step.choices, default=Step.REQUESTED)
    requested_on = models.DateField()
    released_on = models.DateField(null=True, blank=True)
    sent_on = models.DateField(null=True, blank=True)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, blank=True)
    note = models.CharField(max_length=200, blank=True)  # e.g. a tracking number

    class Meta:
        permissions = [("update_title_release", "Can move a title release to its next step")]
        constraints = [
            models.CheckConstraint(
                condition=Q(step__in=["requested", "released", "sent"]),
                name="title_release_step_valid",
            ),
            models.CheckConstraint(
                condition=Q(delivery__in=["", "mail", "electronic"]),
                name="title_release_delivery_valid",
            ),
            models.CheckConstraint(
                condition=~Q(step="sent") | (Q(sent_on__isnull=False) & ~Q(delivery="")),
                name="title_release_sent_has_date_and_delivery",
            ),
        ]

    def __str__(self) -> str:
        return f"Title release ({self.loan_id}): {self.get_step_display()}"
