import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ismartpay.core.models import TimeStampedModel, money_field
from ismartpay.core.today import validate_time_zone


class Lender(TimeStampedModel):
    """A lender whose loans we service, with its servicing policy."""

    class LateFeeKind(models.TextChoices):
        FLAT = "flat", "Flat amount"
        PERCENT = "percent", "Percent of the installment, capped"

    name = models.CharField(max_length=120, unique=True)
    # Its business date, cut-off and nightly runs (ismartpay/core/today.py): an IANA zone, so a
    # typo is refused at the field instead of failing every page of its borrowers.
    timezone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
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
    # Four eyes: a staff waiver, refund, reversal or credit above this many dollars is a request
    # a second supervisor approves (loans/staff_requests.py); at or below it one supervisor acts.
    four_eyes_threshold = money_field(default=Decimal("100.00"))
    # Recording money received (a check, wire or cash-network payment in hand) is routine work,
    # unlike a waiver or credit: above this many dollars (with what was recorded alone on the
    # loan that day) a supervisor approves it. Dual control for large items is common practice
    # in payment processing; the amounts are the lender's policy.
    received_four_eyes_threshold = money_field(default=Decimal("2500.00"))
    # Where a payoff goes (the payoff letter prints these): a mailing address for checks and the
    # lender's wire instructions. Blank = "call us for instructions" on the letter.
    remittance_address = models.TextField(blank=True)  # several lines, as printed
    wire_bank_name = models.CharField(max_length=120, blank=True)
    wire_routing_number = models.CharField(max_length=9, blank=True)  # ABA, 9 digits
    wire_account_number = models.CharField(max_length=34, blank=True)
    wire_account_name = models.CharField(max_length=120, blank=True)  # the beneficiary
    # Printed in every monthly statement's message area (documents app), e.g. office closures.
    statement_message = models.CharField(max_length=300, blank=True)
    # Payment extensions (deferrals) granted without staff (loans/request_rules.py); the
    # defaults are explained in docs/domain-decisions.md.
    extension_max_per_loan = models.PositiveSmallIntegerField(default=2)
    extension_max_per_12_months = models.PositiveSmallIntegerField(default=1)
    extension_min_payments_made = models.PositiveSmallIntegerField(default=6)  # installments
    extension_max_days_past_due = models.PositiveSmallIntegerField(default=30)  # days
    extension_max_months = models.PositiveSmallIntegerField(default=1)  # months per extension
    # Shown in the help centre and request pages: how to reach the lender's servicing team.
    support_phone = models.CharField(max_length=30, blank=True)  # as printed, e.g. 1-800-…
    support_hours = models.CharField(max_length=120, blank=True)  # e.g. "Mon–Fri 8 AM–8 PM ET"

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
            models.CheckConstraint(
                condition=Q(four_eyes_threshold__gte=0), name="lender_four_eyes_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(received_four_eyes_threshold__gte=0),
                name="lender_received_four_eyes_non_negative",
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

    # Open: takes payments. Staff-set: charged off or closed by staff, no posting but a
    # reversal. Closed: not open (paid off or staff-set), so no new payment or autopay.
    OPEN_STATUSES = (Status.CURRENT, Status.PAST_DUE)
    STAFF_SET_STATUSES = (Status.CHARGED_OFF, Status.CLOSED)
    CLOSED_STATUSES = (Status.PAID_OFF, *STAFF_SET_STATUSES)

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
    # Installments 1..N had their late fee dealt with before the ledger (assessed by the lender,
    # in `unpaid_fees` or paid, or not owed): the lender's record says so. Late fees on our
    # ledger are LATE_FEE postings; `late_fees._assess_late_fee` honours both. Never lowered.
    late_fees_assessed_through = models.PositiveSmallIntegerField(default=0)
    # SCRA rate caps [{"start", "end", "apr"}] from the loan's military flags, kept by
    # loans/collections.py under the loan lock, so interest accrual needs no extra query.
    rate_caps = models.JSONField(default=list, blank=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CURRENT)
    # The ledger's latest PAYMENT posting not reversed (latest effective date, then latest
    # posted; loans/history.ledger_last_payment_query is the rule): its date and the dollars
    # it received. Kept by loans/services.py with the balances, so the dashboard reads it with
    # the loan instead of two correlated subqueries per loan (issue 15 goal 1). None: no
    # payment on the ledger yet (the lender's record below may still name one).
    ledger_last_payment_date = models.DateField(null=True, blank=True, editable=False)
    ledger_last_payment_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    # Payments made before iSmartPay, as the lender's record (servicing import) states them on
    # `prior_as_of`; loans/history.py adds the ledger's postings after `prior_through_posting`.
    prior_payments_total = money_field(default=Decimal("0.00"))  # dollars received
    prior_interest_paid = money_field(default=Decimal("0.00"))  # dollars, life of loan
    prior_interest_paid_year = money_field(default=Decimal("0.00"))  # dollars, prior_as_of year
    prior_last_payment_date = models.DateField(null=True, blank=True)
    prior_last_payment_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    prior_as_of = models.DateField(null=True, blank=True)  # the record's date; None: no history
    prior_through_posting = models.BigIntegerField(default=0)  # last LoanPosting pk it includes
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
                condition=Q(late_fees_assessed_through__lte=F("term_months")),
                name="loan_late_fees_assessed_within_term",
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
    """A signed-in person's access to a loan.

    Borrower and co-borrower links are made by proving the facts on file (at most one of each);
    viewer and payer links are authorized third parties, made by accepting a borrower's
    invitation (`LoanInvitation`) and deleted the moment the borrower revokes it.
    """

    class Role(models.TextChoices):
        BORROWER = "borrower", "Borrower"
        CO_BORROWER = "co_borrower", "Co-borrower"
        VIEWER = "viewer", "Can view"
        PAYER = "payer", "Can view and pay"

    # Who may do what with each role: loans/permissions.py (the one home of those rules).

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="loan_links"
    )
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="links")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.BORROWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "loan"], name="one_link_per_user_and_loan"),
            models.CheckConstraint(
                condition=Q(role__in=["borrower", "co_borrower", "viewer", "payer"]),
                name="loan_link_role_valid",
            ),
            # A loan has at most one borrower and one co-borrower link.
            models.UniqueConstraint(
                fields=["loan", "role"],
                condition=Q(role__in=["borrower", "co_borrower"]),
                name="one_owner_link_per_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.loan}"


class LinkAttempt(models.Model):
    """Failed loan-link verifications per user per day: the lockout counter."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="link_attempts"
    )
    day = models.DateField()
    failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="one_link_attempt_row_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.day}: {self.failures} failed"


class LoanInvitation(TimeStampedModel):
    """A borrower's invitation to an authorized third party to view, or view and pay, a loan."""

    class Role(models.TextChoices):
        VIEWER = "viewer", "Can view"
        PAYER = "payer", "Can view and pay"

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_loan_invitations"
    )
    email = models.EmailField()
    name = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=8, choices=Role.choices)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accepted_loan_invitations",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["viewer", "payer"]), name="loan_invitation_role_valid"
            )
        ]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CalendarFeed(TimeStampedModel):
    """A borrower's private iCalendar feed; only the SHA-256 of its URL token is stored."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)  # hex digest of the token


from .models_borrower_requests import BorrowerRequest  # noqa: E402, F401 — issue 14
from .models_collections import (  # noqa: E402, F401 — collections (issue 13)
    AccountFlag,
    ContactNote,
    DelinquencySnapshot,
    PromiseToPay,
)
from .models_ledger import LoanPosting, received_expression  # noqa: E402, F401 — the ledger
from .models_requests import StaffRequest  # noqa: E402, F401 — staff four-eyes requests
