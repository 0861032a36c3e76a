"""Fixtures for the autopay tests (imported by each test module: no second conftest.py)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from demo_loan import DEMO_LOAN

NY = ZoneInfo("America/New_York")


def at(day: dt.date, hour: int = 6, minute: int = 0) -> dt.datetime:
    """A moment on `day`, lender time (the nightly run happens early in the morning)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def five_tries_within_the_hour(loan, borrower, card, *, before: dt.datetime) -> None:
    """Five one-time tries on `loan` by `card` (a declined one), made half an hour before
    `before`: the risk rule "5+ attempts on this loan in an hour" holds the loan's next payment
    for staff review (payments/risk.py)."""
    from decimal import Decimal

    from payments.models import Payment
    from payments.services import payment_submit

    for i in range(5):
        payment_submit(
            loan_id=loan.pk,
            method=card,
            amount=Decimal("10.00") + i,
            idempotency_key=f"try-{i}",
            payer=borrower,
            payer_email=borrower.email,
            confirm_duplicate=True,
        )
    Payment.objects.filter(loan=loan).update(created_at=before - dt.timedelta(minutes=30))


@pytest.fixture(autouse=True)
def inline_charges(settings):
    """Charges run inline: threads cannot see a test's uncommitted rows (the concurrency
    test sets its own value)."""
    settings.AUTOPAY_CHARGE_CONCURRENCY = 1


@pytest.fixture
def enroll(borrower):
    from payments.autopay import schedule as sched
    from payments.autopay.services import autopay_enroll

    def _enroll(
        loan, method, *, now, schedule="monthly_due", amount_rule="installment", start=None, **extra
    ):
        terms = sched.PlanTerms(
            schedule=schedule,
            amount_rule=amount_rule,
            start_date=start or now.astimezone(NY).date(),
            **extra,
        )
        return autopay_enroll(
            user=borrower,
            loan_id=loan.pk,
            method=method,
            terms=terms,
            ip_address="203.0.113.9",
            user_agent="pytest",
            now=now,
        )

    return _enroll


# --- many due plans, set-based (live worker test; bench/autopay_bench.py does the same) -------
BULK_RUN_DATE = dt.date(2026, 12, 4)  # Dec 5 2026 is a Saturday: its debit runs Friday Dec 4


def bulk_due_plans(count: int, *, prefix: str = "W") -> list[int]:
    """`count` loans with one active monthly plan each, whose Dec 5 2026 period runs on
    BULK_RUN_DATE, all paying from one sandbox card that always succeeds. Returns plan ids."""

    from accounts.models import User
    from loans.models import Lender, Loan, LoanLink
    from payments.models import AutopayPlan, PaymentMethod, SandboxToken

    user = User.objects.create(email=f"bulk-{prefix.lower()}@example.com")
    lender = Lender.objects.create(name=f"Bulk Lender {prefix}")
    SandboxToken.objects.get_or_create(
        token=f"tok_bulk_{prefix}",
        defaults={
            "kind": "card",
            "outcome": "ok",
            "brand": "visa",
            "last4": "4242",
            "funding": "credit",
        },
    )
    method = PaymentMethod.objects.create(
        owner=user,
        processor_token=f"tok_bulk_{prefix}",
        kind="card",
        last4="4242",
        brand="visa",
        exp_month=12,
        exp_year=2030,
    )
    loans = Loan.objects.bulk_create(
        [
            Loan(
                lender=lender,
                loan_number=f"{prefix}{i:07d}",
                vin=f"{prefix}BULK{i:012d}",
                **DEMO_LOAN,
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    # The plan owner is the loan's borrower: the charge gate refuses anyone without a link.
    LoanLink.objects.bulk_create(
        [LoanLink(user=user, loan=loan, role="borrower") for loan in loans], batch_size=2000
    )
    plans = AutopayPlan.objects.bulk_create(
        [
            AutopayPlan(
                loan=loan,
                owner=user,
                method=method,
                amount_rule="installment",
                schedule="monthly_due",
                start_date=dt.date(2026, 11, 24),
                charge_from=dt.date(2026, 11, 26),
                next_period_key=dt.date(2026, 12, 5),
                next_run_date=BULK_RUN_DATE,
            )
            for loan in loans
        ],
        batch_size=2000,
    )
    return [p.pk for p in plans]


def debit_rows(plan) -> list[tuple]:
    """The plan's debit rows as (period key, run date, status), by period."""
    from payments.models import AutopayDebit

    rows = AutopayDebit.objects.filter(plan=plan).order_by("period_key")
    return list(rows.values_list("period_key", "run_date", "status"))


def plan_cursor(plan) -> tuple:
    """The plan's cursor as stored: (next period key, next run date)."""
    plan.refresh_from_db()
    return plan.next_period_key, plan.next_run_date


def autopay_taken(loan):
    """What autopay payments posted to `loan` add up to (None for none)."""
    from django.db.models import Sum

    from payments.models import Payment

    posted = Payment.objects.filter(loan=loan, source="autopay", status="posted")
    return posted.aggregate(total=Sum("amount"))["total"]


def nightly(first: dt.date, last: dt.date) -> None:
    """Every nightly job on each business date from `first` to `last`, the clock (and the
    processor's) at 6:00 that day."""
    import time_machine

    from payments import jobs

    day = first
    while day <= last:
        with time_machine.travel(at(day), tick=False):
            jobs.run_daily(on=day, now=at(day))
        day += dt.timedelta(days=1)


@pytest.fixture
def retrying(linked_loan, add_card, enroll):
    """linked_loan's autopay from Nov 24: December's debit declined for insufficient funds at
    6:00 on Fri Dec 4, retried at 6:15. The plan, with its card's token as `method_token`."""
    from payments import jobs

    method = add_card("4000000000009995")
    plan = enroll(linked_loan, method, now=at(dt.date(2026, 11, 24), 9))
    assert jobs.run_autopay(on=dt.date(2026, 12, 4), now=at(dt.date(2026, 12, 4)))["retried"] == 1
    plan.method_token = method.processor_token
    return plan
