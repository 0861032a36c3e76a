# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""Target 9 for autopay: what an ACH return does to the plan, through the real nightly run.
R01/R09 are re-presented at most twice; R05/R07/R10/R11/R29 suspend autopay until the
borrower authorizes it again; every return reverses the posting and charges one NSF fee."""

import datetime as dt
from decimal import Decimal
from itertools import pairwise

import pytest
import time_machine
from autopay_fixtures import at, enroll, inline_charges  # noqa: F401

from payments import jobs
from payments.models import AutopayDebit, AutopayPlan, Payment, SandboxCharge

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026, debited Fri Dec 4


def nightly(first: dt.date, last: dt.date) -> None:
    day = first
    while day <= last:
        with time_machine.travel(at(day), tick=False):  # the processor's clock moves too
            jobs.run_daily(on=day, now=at(day))
        day += dt.timedelta(days=1)


def test_an_r01_return_is_re_presented_at_most_twice_each_time_with_one_nsf_fee(
    linked_loan, add_bank, enroll
):
    plan = enroll(linked_loan, add_bank("000222222227"), now=at(START, 9))  # always R01
    nightly(START, dt.date(2026, 12, 31))
    debit = AutopayDebit.objects.get(plan=plan, period_key=dt.date(2026, 12, 5))
    payments = list(Payment.objects.filter(source="autopay").order_by("created_at"))
    assert len(payments) == 3  # the first entry and two re-presentments, never a fourth
    assert [p.status for p in payments] == ["returned"] * 3
    assert [p.return_code for p in payments] == ["R01"] * 3
    assert len({p.idempotency_key for p in payments}) == 3
    dates = [p.effective_date for p in payments]
    assert dates[0] == dt.date(2026, 12, 4), dates
    # Each re-presentment waits at least 2 days after the return was seen (2 business days
    # after the entry): Dec 4 → returned Dec 8 → re-presented from Dec 10.
    gaps = [later - earlier for earlier, later in pairwise(dates)]
    assert all(gap >= dt.timedelta(days=4) for gap in gaps), dates
    assert debit.attempts == 3
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance == Decimal("21335.10")  # every posting reversed
    assert linked_loan.postings.filter(kind="nsf_fee").count() == 3  # one per returned entry
    assert SandboxCharge.objects.count() == 3


@pytest.mark.parametrize(("account", "code"), [("000333333335", "R10")])
def test_an_unauthorized_return_suspends_autopay_until_re_authorized(
    linked_loan, add_bank, enroll, account, code
):
    plan = enroll(linked_loan, add_bank(account), now=at(START, 9))
    nightly(START, dt.date(2027, 1, 10))
    plan.refresh_from_db()
    assert plan.status == AutopayPlan.Status.SUSPENDED
    payments = Payment.objects.filter(source="autopay")
    assert [(p.status, p.return_code) for p in payments] == [("returned", code)]  # once only
    assert not AutopayDebit.objects.filter(
        plan=plan, period_key=dt.date(2027, 1, 5), status="charged"
    ).exists()
