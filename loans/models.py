import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from ismartpay.core.models import TimeStampedModel, money_field


class Lender(TimeStampedModel):
    """A lender whose loans we service, with its servicing policy."""

    class LateFeeKind(models.TextChoices):
        FLAT = "flat", "Flat amount"
        PERCENT = "percent", "Percent of the installment, capped"

    name = models.CharField(max_length=120, unique=True)
    timezone = models.CharField(max_length=64, default="America/New_York")
    # Payments made after this local time take effect on the next business day.
    cutoff_time = models.TimeField(default=dt.time(17, 0))
    grace_days = models.PositiveSmallIntegerField(default=10)
    late_fee_kind = models.CharField(
        max_length=10, choices=LateFeeKind.choices, default=LateFeeKind.FLAT
    )
    late_fee_flat = money_field(default=Decimal("25.00"))
    late_fee_percent = models.DecimalField(  # percent of the installment, e.g. 5.00
        max_digits=5, decimal_places=2, default=Decimal("5.00")
    )
    late_fee_cap = money_field(default=Decimal("50.00"))
    nsf_fee = money_field(default=Decimal("25.00"))  # returned-payment fee
    accepts_cards = models.BooleanField(default=True)
    accepts_bank_accounts = models.BooleanField(default=True)
    card_convenience_fee = money_field(default=Decimal("0.00"))
    # A payoff residual up to this amount is written off, never billed.
    payoff_tolerance = money_field(default=Decimal("1.00"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(late_fee_kind__in=["flat", "percent"]), name="lender_late_fee_kind"
            ),
            models.CheckConstraint(
                condition=Q(late_fee_flat__gte=0, late_fee_cap__gte=0, nsf_fee__gte=0)
                & Q(card_convenience_fee__gte=0, payoff_tolerance__gte=0)
                & Q(late_fee_percent__gte=0, late_fee_percent__lte=100),
                name="lender_fees_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Loan(TimeStampedModel):
    """The servicing record of one auto loan, as the lender reports it and payments change it."""

    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        PAST_DUE = "past_due", "Past due"
        PAID_OFF = "paid_off", "Paid off"
        CHARGED_OFF = "charged_off", "Charged off"
        CLOSED = "closed", "Closed"

    lender = models.ForeignKey(Lender, on_delete=models.PROTECT, related_name="loans")
    loan_number = models.CharField(max_length=32)
    vin = models.CharField("VIN", max_length=17)
    vehicle_year = models.PositiveSmallIntegerField()
    vehicle_make = models.CharField(max_length=40)
    vehicle_model = models.CharField(max_length=60)
    billing_zip = models.CharField(max_length=10)
    borrower_email = models.EmailField(blank=True)  # the address on file at the lender
    original_principal = money_field()
    apr_percent = models.DecimalField(max_digits=6, decimal_places=3)  # e.g. 6.490 = 6.49 %
    term_months = models.PositiveSmallIntegerField()
    contract_date = models.DateField()
    first_due_date = models.DateField()
    due_day = models.PositiveSmallIntegerField()  # 29–31 fall on the last day of short months
    installment_amount = money_field()
    principal_balance = money_field()
    # Unpaid interest, rounded to cents, accrued up to (not including) interest_accrued_through.
    accrued_interest = money_field(default=Decimal("0.00"))
    interest_accrued_through = models.DateField()
    unpaid_fees = money_field(default=Decimal("0.00"))
    # Sum of payments credited toward scheduled installments: drives amount due and delinquency.
    paid_toward_installments = money_field(default=Decimal("0.00"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CURRENT)
    borrowers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="LoanLink", related_name="loans", blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lender", "loan_number"], name="loan_number_per_lender"
            ),
            models.CheckConstraint(
                condition=Q(principal_balance__gte=0, accrued_interest__gte=0, unpaid_fees__gte=0)
                & Q(original_principal__gt=0, installment_amount__gt=0)
                & Q(paid_toward_installments__gte=0),
                name="loan_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(apr_percent__gte=0, apr_percent__lte=36), name="loan_apr_0_to_36"
            ),
            models.CheckConstraint(
                condition=Q(due_day__gte=1, due_day__lte=31), name="loan_due_day_1_to_31"
            ),
            models.CheckConstraint(
                condition=Q(term_months__gte=1, term_months__lte=120), name="loan_term_1_to_120"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["current", "past_due", "paid_off", "charged_off", "closed"]
                ),
                name="loan_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lender} #{self.loan_number}"

    @property
    def vehicle(self) -> str:
        return f"{self.vehicle_year} {self.vehicle_make} {self.vehicle_model}"


class LoanLink(TimeStampedModel):
    """A signed-in person's access to a loan, created when they prove the facts on file."""

    class Role(models.TextChoices):
        BORROWER = "borrower", "Borrower"
        CO_BORROWER = "co_borrower", "Co-borrower"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="loan_links"
    )
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="links")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.BORROWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "loan"], name="one_link_per_user_and_loan"),
            models.CheckConstraint(
                condition=Q(role__in=["borrower", "co_borrower"]), name="loan_link_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.loan}"
