"""Automatic payments: the plan, the borrower's authorization, one debit row per period, and a
summary row per nightly job run.

`AutopayDebit` is the exactly-once guarantee: UniqueConstraint(plan, period_key) means a period
can be charged by one row only, and the row (with the idempotency key derived from it) is
committed before the processor is called. See docs/autopay.md.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ismartpay.core.models import TimeStampedModel, money_field

from .methods import PaymentMethod


class AppendOnlyError(RuntimeError):
    pass


class AutopayPlan(TimeStampedModel):
    class AmountRule(models.TextChoices):
        AMOUNT_DUE = "due", "The amount due"
        INSTALLMENT = "installment", "My monthly payment"
        FIXED = "fixed", "A fixed amount"
        EXTRA = "extra", "My monthly payment plus extra toward principal"

    class Schedule(models.TextChoices):
        MONTHLY_DUE = "monthly_due", "Every month on the due date"
        MONTHLY_DAY = "monthly_day", "Every month on a day I choose"
        BIWEEKLY = "biweekly", "Every two weeks"

    class Status(models.TextChoices):
        ACTIVE = "active", "On"
        PAUSED = "paused", "Paused"
        SUSPENDED = "suspended", "Suspended until you authorize it again"
        CANCELLED = "cancelled", "Cancelled"
        ENDED = "ended", "Ended"

    LIVE_STATUSES = ("active", "paused", "suspended")

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="autopay_plans")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="autopay_plans"
    )
    method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, related_name="+")
    amount_rule = models.CharField(max_length=12, choices=AmountRule.choices)
    fixed_amount = money_field(null=True, blank=True)  # FIXED: dollars per debit
    extra_amount = money_field(null=True, blank=True)  # EXTRA: dollars on top of the installment
    schedule = models.CharField(max_length=12, choices=Schedule.choices)
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)  # MONTHLY_DAY: 1–28
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # Periods whose run date is before this are never charged (set at enrolment, resume and
    # re-authorization), so a paused stretch is not "caught up".
    charge_from = models.DateField()
    # A monthly plan's first period under the loan's current schedule, set when staff change
    # the due day or term (payments/autopay/reschedule.py): periods keyed before it belong to
    # the old schedule, paid, skipped or due under their old dates, and are never charged.
    periods_from = models.DateField(null=True, blank=True)
    # The run's cursor: the next period not yet turned into a debit row, and its run date.
    next_period_key = models.DateField(null=True, blank=True)
    next_run_date = models.DateField(null=True, blank=True)
    last_amount = money_field(null=True, blank=True)  # the previous debit's amount (Reg E)
    ended_reason = models.CharField(max_length=120, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_run_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"],
                condition=Q(status__in=["active", "paused", "suspended"]),
                name="one_live_autopay_plan_per_loan",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "paused", "suspended", "cancelled", "ended"]),
                name="autopay_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(amount_rule__in=["due", "installment", "fixed", "extra"]),
                name="autopay_amount_rule_valid",
            ),
            models.CheckConstraint(
                condition=Q(schedule__in=["monthly_due", "monthly_day", "biweekly"]),
                name="autopay_schedule_valid",
            ),
            models.CheckConstraint(
                condition=Q(day_of_month__isnull=True)
                | Q(day_of_month__gte=1, day_of_month__lte=28),
                name="autopay_day_1_to_28",
            ),
            models.CheckConstraint(
                condition=(Q(fixed_amount__isnull=True) | Q(fixed_amount__gt=0))
                & (Q(extra_amount__isnull=True) | Q(extra_amount__gt=0)),
                name="autopay_amounts_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Autopay #{self.pk} for loan {self.loan_id}"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES


class AutopayAuthorization(models.Model):
    """What the borrower agreed to, exactly as shown, and when/where. Append-only."""

    plan = models.ForeignKey(AutopayPlan, on_delete=models.PROTECT, related_name="authorizations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    text_version = models.CharField(max_length=20)
    text = models.TextField()  # the full authorization text the borrower saw
    terms = models.JSONField(default=dict)  # method label, amount rule, schedule, first debits
    accepted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-accepted_at", "-pk"]

    def __str__(self) -> str:
        return f"Authorization {self.text_version} for plan {self.plan_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Authorizations are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Authorizations are never deleted.")


class AutopayEvent(models.Model):
    """Append-only history of a plan: enrolled, changed, paused, skipped, resumed, cancelled…"""

    plan = models.ForeignKey(AutopayPlan, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    actor_label = models.CharField(max_length=60)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.kind}"


class AutopayDebit(models.Model):
    """One period of one plan. Its existence is the claim on that period: a second row for the
    same (plan, period_key) cannot exist, so a period is charged at most once."""

    class Status(models.TextChoices):
        DUE = "due", "Due"  # created, not yet claimed
        CLAIMED = "claimed", "Claimed by a worker"
        SUBMITTING = "submitting", "Sent to the processor"  # key stored; payment row may exist
        RETRY = "retry", "Waiting to retry"  # a soft decline, a temporary error, an R01/R09
        # An earlier period's debit of the loan is still open: priced after it (period_order.py)
        WAITING = "waiting", "Waiting for an earlier payment"
        CHARGED = "charged", "Charged"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    OPEN_STATUSES = ("due", "claimed", "submitting", "retry", "waiting")
    TIMED_STATUSES = ("retry", "waiting")  # open until `next_attempt_at`, then due again

    plan = models.ForeignKey(AutopayPlan, on_delete=models.PROTECT, related_name="debits")
    period_key = models.DateField()  # installment due date, or the biweekly period's date
    run_date = models.DateField()  # business date it is charged (previous business day rule)
    amount = money_field(null=True, blank=True)  # fixed when charged
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DUE)
    attempts = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=80, blank=True)  # of the current attempt
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The claim's holder ("host:pid:start:chunk", payments/autopay/leases.py) and its lease, which
    # the holder renews every 10 s while it works: a claim whose lease ran out, or whose holder
    # process on this host is gone, is taken over by the next run or the recovery sweep.
    claimed_by = models.CharField(max_length=120, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The run that last dispatched or claimed it: the run's counts are read from its debits.
    job_run = models.ForeignKey(
        "payments.JobRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A term change moved this installment's due date while its entry was at the bank
    # (reschedule.py): returned R01/R09, it is not re-presented but collected on this date.
    moved_to = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)  # skip reason or decline code
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "run_date"]),
            # A loan's open debits (autopay/period_order.py, once a part): the few rows still
            # open, found by plan, whatever the table's size.
            models.Index(
                fields=["plan"],
                condition=Q(status__in=["due", "claimed", "submitting", "retry", "waiting"]),
                name="autopay_debit_open_by_plan",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["plan", "period_key"], name="one_debit_per_period"),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "due",
                        "claimed",
                        "submitting",
                        "retry",
                        "waiting",
                        "charged",
                        "failed",
                        "skipped",
                    ]
                ),
                name="autopay_debit_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan {self.plan_id} · {self.period_key} · {self.status}"


class AutopayAmountNotice(models.Model):
    """Regulation E: a debit whose amount differs from the previous one was announced on
    `noticed_on`, at least 10 days before its run date."""

    plan = models.ForeignKey(AutopayPlan, on_delete=models.CASCADE, related_name="+")
    period_key = models.DateField()
    amount = money_field()
    noticed_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "period_key", "amount"], name="one_amount_notice_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"Plan {self.plan_id} · {self.period_key} · ${self.amount}"


class JobRun(models.Model):
    """One run of a nightly job: what it did, for the admin and for alerting.

    RUNNING while its process works and renews `heartbeat_at` (every 10 s); a RUNNING row whose
    heartbeat is older than the lease (30 s), or whose holder process on this host is gone, was
    killed: the sweep, the next run and beat's `run_daily_due` mark it INTERRUPTED, and the
    night's run starts again. DISPATCHED: a fan-out coordinator has queued its chunks; the row
    is FINISHED when its debits are (counted from the debit rows, not from task results)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DISPATCHED = "dispatched", "Chunks queued"
        FINISHED = "finished", "Finished"
        INTERRUPTED = "interrupted", "Interrupted"
        FAILED = "failed", "Failed"

    job = models.CharField(max_length=40)
    business_date = models.DateField()
    scope = models.CharField(max_length=64, blank=True)  # lender time zone, or "" for all
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    due = models.PositiveIntegerField(default=0)
    charged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    retried = models.PositiveIntegerField(default=0)
    waiting = models.PositiveIntegerField(default=0)  # debits waiting for an earlier period's
    detail = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    status = models.CharField(max_length=11, choices=Status.choices, default=Status.RUNNING)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    holder = models.CharField(max_length=120, blank=True)  # "host:pid:start" of its process
    parent = models.ForeignKey(  # run_daily for the jobs it runs
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    restarted_at = models.DateTimeField(null=True, blank=True)  # an interrupted run restarted

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["job", "business_date"])]

    def __str__(self) -> str:
        return f"{self.job} {self.business_date}"
