"""The staff home page's figures (issue 13, "Dashboard and search"): one read, a constant
number of queries whatever the book's size (tests/ismartpay/test_staff_dashboard.py asserts it).

"Today" is the lender's business date (payments.jobs.default_business_date), passed in.
Today's payments and failures are counted by their effective date (the business date a
payment counts on the loan), so a borrower's payment made after the cut-off shows on the next
day's page — except a phone payment, counted the day the agent took it (`_came_in_on`).
"Today's payments" is money received: posted, or held in suspense when it arrived (money held
whole with no payment, `held_whole_on_receipt`; a payment partly held counts whole as itself).
A payment that re-posts money received before (applied from suspense, or the new payment of a
move) is left out, and a payment moved to another loan still counts once, as the payment that
brought the money (payments/services/suspense.py `not_new_money`, `moved_away`).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import CharField, Count, OuterRef, Q, Subquery, Sum, Value

from ismartpay.core.money import ZERO, to_cents
from loans import delinquency
from loans.models import Loan, StaffRequest
from loans.selectors import contract_schedule, loan_position
from payments.declines import reason_for
from payments.models import JobRun, Payment, SuspenseItem
from payments.models.payment import PaymentChannel
from payments.services.suspense import held_whole_on_receipt, moved_away, not_new_money

S = Payment.Status
# Money that reached (or is on its way to) the loan: what "today's payments" adds up.
COUNTED_STATUSES = (S.PENDING, S.POSTED, S.SETTLED)
# Days-past-due buckets, as collections reports them: (label, first day, last day or None).
BUCKETS = (("1–29", 1, 29), ("30–59", 30, 59), ("60–89", 60, 89), ("90+", 90, None))
OPEN_LOAN = (Loan.Status.CURRENT, Loan.Status.PAST_DUE)


@dataclass(frozen=True)
class Figure:
    """A line of the page: a label, how many and how much (dollars)."""

    label: str
    count: int
    amount: Decimal
    key: str = ""


@dataclass(frozen=True)
class JobLine:
    job: str
    business_date: dt.date
    status: str
    status_label: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    heartbeat_at: dt.datetime | None
    counts: dict[str, int]
    error: str
    pk: int


@dataclass(frozen=True)
class StaffDashboard:
    today: dt.date
    payments_by_channel: list[Figure]
    payments_total: Figure
    failures_by_reason: list[Figure]
    pending_bank_debits: Figure
    held_for_review: Figure
    open_requests: Figure
    suspense: Figure
    jobs: list[JobLine]
    past_due_buckets: list[Figure] = field(default_factory=list)


def _figure(label, count, amount, key="") -> Figure:
    return Figure(label=label, count=count or 0, amount=to_cents(amount or ZERO), key=key)


def dpd_bucket(days: int) -> str | None:
    """The bucket label for `days` past due, or None when the loan is not past due."""
    for label, low, high in BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return None


def loans_past_due_by_bucket(*, on: dt.date) -> list[Figure]:
    """Open loans past due on `on`, by bucket: count and amount past due (fees excluded).

    Computed from loans/delinquency.py for every open loan (one query). The nightly run will
    store each loan's bucket; this is the one function to change to read it instead.
    """
    count = dict.fromkeys((b[0] for b in BUCKETS), 0)
    amount = dict.fromkeys((b[0] for b in BUCKETS), ZERO)
    loans = Loan.objects.filter(status__in=OPEN_LOAN).only(
        "first_due_date",
        "due_day",
        "term_months",
        "installment_amount",
        "principal_balance",
        "accrued_interest",
        "interest_accrued_through",
        "unpaid_fees",
        "paid_toward_installments",
        "apr_percent",
        "rate_caps",  # SCRA caps: read by loan_balances_on (no query per loan)
    )
    for loan in loans.iterator(chunk_size=2000):
        schedule, position = contract_schedule(loan), loan_position(loan, on)
        bucket = dpd_bucket(delinquency.days_past_due(schedule, position, on))
        if bucket is not None:
            count[bucket] += 1
            amount[bucket] += delinquency.past_due_amount(schedule, position, on)
    return [_figure(label, count[label], amount[label], key=label) for label, _, _ in BUCKETS]


def _came_in_on(today: dt.date) -> Q:
    """Payments whose money came in on `today`. A phone payment counts the day the agent took
    it with the borrower on the line — its `scheduled_for`, the lender's business date when it
    was taken (payments/services/submission.py; a phone payment is never scheduled ahead) —
    even when taken after the cut-off it counts on the loan the next business day. Every other
    payment by its effective date: money in hand is dated the day it arrived, and a borrower's
    payment counts on the day it counts on the loan."""
    phone = Q(channel=PaymentChannel.PHONE)
    return (phone & Q(scheduled_for=today)) | (~phone & Q(effective_date=today))


def _today_payments(today: dt.date):
    """One query (a union of two grouped ones): money received today by channel — payments,
    and money held in suspense whole as it arrived — and failures by code."""
    payments = (
        Payment.objects.filter(_came_in_on(today))
        .exclude(not_new_money())
        .filter(
            Q(status__in=COUNTED_STATUSES)
            | Q(status=S.FAILED)
            | (Q(status=S.REVERSED) & moved_away())
        )
        .values("channel", "status", "decline_code")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    )
    held = (
        SuspenseItem.objects.filter(held_whole_on_receipt(), received_on=today)
        .values("channel")
        .annotate(
            held_status=Value("held_on_receipt", output_field=CharField()),
            no_code=Value("", output_field=CharField()),
            n=Count("pk"),
            total=Sum("amount"),
        )
        .order_by()
    )
    rows = payments.union(held, all=True)
    by_channel: dict[str, list] = {}
    by_reason: dict[str, list] = {}
    for row in rows:
        if row["status"] == S.FAILED:
            slot = by_reason.setdefault(row["decline_code"] or "unknown", [0, ZERO])
        else:
            slot = by_channel.setdefault(row["channel"], [0, ZERO])
        slot[0] += row["n"]
        slot[1] += row["total"]
    channels = [
        _figure(PaymentChannel(code).label, n, total, key=code)
        for code, (n, total) in sorted(by_channel.items(), key=lambda kv: (-kv[1][1], kv[0]))
    ]
    failures = [
        _figure(reason_for(code).title, n, total, key=code)
        for code, (n, total) in sorted(by_reason.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]
    total = _figure(
        "All channels", sum(f.count for f in channels), sum((f.amount for f in channels), ZERO)
    )
    return channels, total, failures


def _latest_job_runs() -> list[JobLine]:
    """The latest run of each job (any scope), newest first."""
    latest = JobRun.objects.filter(job=OuterRef("job")).order_by("-started_at", "-pk")
    runs = JobRun.objects.filter(pk=Subquery(latest.values("pk")[:1])).order_by("job")
    return [
        JobLine(
            job=run.job,
            business_date=run.business_date,
            status=run.status,
            status_label=run.get_status_display(),
            started_at=run.started_at,
            finished_at=run.finished_at,
            heartbeat_at=run.heartbeat_at,
            counts={
                "due": run.due,
                "charged": run.charged,
                "failed": run.failed,
                "skipped": run.skipped,
                "retried": run.retried,
            },
            error=run.error[:200],
            pk=run.pk,
        )
        for run in runs
    ]


def staff_dashboard(*, today: dt.date) -> StaffDashboard:
    """Everything on the staff home page for business date `today` (6 queries)."""
    channels, total, failures = _today_payments(today)
    waiting = Payment.objects.aggregate(
        pending_n=Count("pk", filter=Q(status=S.PENDING, method_kind="bank")),
        pending_total=Sum("amount", filter=Q(status=S.PENDING, method_kind="bank")),
        held_n=Count("pk", filter=Q(status=S.HELD)),
        held_total=Sum("amount", filter=Q(status=S.HELD)),
    )
    requests = StaffRequest.objects.filter(status=StaffRequest.Status.PENDING).aggregate(
        n=Count("pk"), total=Sum("amount")
    )
    suspense = SuspenseItem.objects.filter(status=SuspenseItem.Status.OPEN).aggregate(
        n=Count("pk"), total=Sum("balance")
    )
    return StaffDashboard(
        today=today,
        payments_by_channel=channels,
        payments_total=total,
        failures_by_reason=failures,
        pending_bank_debits=_figure(
            "Bank debits at the bank", waiting["pending_n"], waiting["pending_total"]
        ),
        held_for_review=_figure("Held for review", waiting["held_n"], waiting["held_total"]),
        open_requests=_figure("Waiting for a supervisor", requests["n"], requests["total"]),
        suspense=_figure("Unapplied funds held", suspense["n"], suspense["total"]),
        jobs=_latest_job_runs(),
        past_due_buckets=loans_past_due_by_bucket(on=today),
    )
