# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures and the pages tests
"""What the attacker review of 8701d7b (issue 15, helper-65) found in a plan's next payment
after staff change a loan's terms, each reproduced here first:

1. plans rescheduled before migration 0016 had no `periods_from`: an installment paid under
   its old due date was taken for "next" again (charged twice, or every change refused);
2. a monthly plan switched to biweekly and back kept a `periods_from` of a schedule the loan
   no longer had: an installment was dropped;
3. while an earlier payment waited for staff review the borrower could not cancel ("being
   processed") and the next period was then charged;
4. a one-month extension with two skips ahead failed (IntegrityError: the first skip moved
   onto the second's key);
5. a due-day change could put a chosen-day plan's next run date in the past: charged that
   night with no notice, and every borrower change refused (12 CFR 1005.10(c), (d))."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from autopay_fixtures import (  # noqa: F401
    at,
    autopay_taken,
    debit_rows,
    enroll,
    five_tries_within_the_hour,
    inline_charges,
    plan_cursor,
)
from django.apps import apps
from staff_helpers import make_staff
from test_autopay_pages import START, card, clock, plan  # noqa: F401

from accounts.roles import SUPERVISOR
from loans.servicing import ServicingError, loan_change_due_day, loan_defer_installments
from payments import jobs
from payments.autopay import schedule as sched
from payments.autopay.services import (
    autopay_change,
    autopay_skip_next,
    autopay_unskip,
    preview,
)
from payments.models import AutopayPlan
from payments.services import payment_submit

INSTALLMENT = Decimal("483.32")
DEC_RUN = dt.date(2026, 12, 4)  # Dec 5 2026 is a Saturday: its debit runs Friday Dec 4


def _due_day(clock, loan_id: int, day: int, *, on: dt.date):
    clock.move_to(at(on, 10))
    return loan_change_due_day(
        loan_id=loan_id, due_day=day, reason="Payday moved", actor=make_staff(SUPERVISOR), on=on
    )


def _terms(schedule: str, start: dt.date, **extra) -> sched.PlanTerms:
    return sched.PlanTerms(schedule=schedule, amount_rule="installment", start_date=start, **extra)


def _change(plan, terms: sched.PlanTerms, now: dt.datetime) -> AutopayPlan:
    return autopay_change(
        plan_id=plan.pk,
        user=plan.owner,
        method=plan.method,
        terms=terms,
        ip_address="198.51.100.23",
        user_agent="test",
        now=now,
    )


@pytest.mark.django_db
def test_a_plan_rescheduled_before_periods_from_existed_starts_at_its_cursor(clock, plan):
    """December paid Dec 4; due day 5 -> 20 on Dec 10 (cursor Jan 20). The plan as 0016 left
    it (no periods_from) is filled from its cursor: skip and undo leave Jan 20 next, and the
    run of Dec 18 (the new schedule's paid Dec 20) charges nothing."""
    clock.move_to(at(DEC_RUN))
    jobs.run_autopay(on=DEC_RUN, now=at(DEC_RUN))
    _due_day(clock, plan.loan_id, 20, on=dt.date(2026, 12, 10))
    AutopayPlan.objects.filter(pk=plan.pk).update(periods_from=None)
    fill = importlib.import_module("payments.migrations.0017_autopay_plan_periods_from_fill")

    fill.fill_periods_from(apps, None)

    plan.refresh_from_db()
    assert plan.periods_from == dt.date(2027, 1, 20)
    now = at(dt.date(2026, 12, 10), 11)
    autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=now)
    autopay_unskip(plan_id=plan.pk, user=plan.owner, now=now)
    assert plan_cursor(plan) == (dt.date(2027, 1, 20), dt.date(2027, 1, 20))
    clock.move_to(at(dt.date(2026, 12, 18)))
    jobs.run_autopay(on=dt.date(2026, 12, 18), now=at(dt.date(2026, 12, 18)))
    assert autopay_taken(plan.loan) == INSTALLMENT


@pytest.mark.django_db
def test_back_to_monthly_after_a_due_day_change_while_biweekly_charges_the_next_installment(
    clock, plan
):
    """Due day 5 -> 20 on Nov 25 (next: Dec 20); biweekly from Nov 26; due day 20 -> 10 on
    Nov 27; monthly again on Nov 28: next is Dec 10, as the review page said. Before: the
    plan's periods started at Dec 20 of a schedule the loan no longer had, so Jan 10."""
    _due_day(clock, plan.loan_id, 20, on=dt.date(2026, 11, 25))
    _change(plan, _terms("biweekly", dt.date(2026, 11, 27)), at(dt.date(2026, 11, 26), 10))
    _due_day(clock, plan.loan_id, 10, on=dt.date(2026, 11, 27))
    monthly, now = _terms("monthly_due", dt.date(2026, 11, 28)), at(dt.date(2026, 11, 28), 10)
    plan.refresh_from_db()
    shown = preview(loan=plan.loan, method=plan.method, terms=monthly, now=now, plan=plan)[1]

    _change(plan, monthly, now)

    assert plan_cursor(plan) == (dt.date(2026, 12, 10), dt.date(2026, 12, 10))
    assert [(d.period_key, d.run_date) for d in shown[:2]] == [
        (dt.date(2026, 12, 10), dt.date(2026, 12, 10)),
        (dt.date(2027, 1, 10), dt.date(2027, 1, 8)),  # Sunday Jan 10: Friday
    ]


@pytest.mark.django_db
def test_the_review_page_of_a_change_leaves_out_a_skipped_payment(clock, plan):
    """December skipped: the change's review page (and the authorization the borrower
    accepts) lists January, February, March — not the skipped December."""
    now = at(START, 10)
    autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=now)
    plan.refresh_from_db()

    shown = preview(
        loan=plan.loan, method=plan.method, terms=_terms("monthly_due", START), now=now, plan=plan
    )[1]

    assert [d.run_date for d in shown] == [
        dt.date(2027, 1, 5),
        dt.date(2027, 2, 5),
        dt.date(2027, 3, 5),
    ]


@pytest.mark.django_db
def test_a_one_month_extension_moves_two_skips_ahead_a_month_each(clock, plan):
    """December and January skipped on Nov 24; a one-month extension on Nov 25 moves each
    installment a month: the skips are now Jan 5 and Feb 5, and March 5 is next."""
    now = at(START, 10)
    autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=now)
    autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=now)
    clock.move_to(at(dt.date(2026, 11, 25), 10))

    loan_defer_installments(
        loan_id=plan.loan_id,
        months=1,
        reason="Hardship",
        actor=make_staff(SUPERVISOR),
        on=dt.date(2026, 11, 25),
    )

    assert debit_rows(plan) == [
        (dt.date(2027, 1, 5), dt.date(2027, 1, 5), "skipped"),
        (dt.date(2027, 2, 5), dt.date(2027, 2, 5), "skipped"),
    ]
    assert plan_cursor(plan) == (dt.date(2027, 3, 5), dt.date(2027, 3, 5))


@pytest.mark.django_db
def test_a_due_day_change_that_would_put_the_next_automatic_payment_in_the_past_is_refused(
    clock, linked_loan, borrower, card, enroll
):
    """December paid by hand; autopay on the 10th of the month before each due date. Due day
    5 -> 25 on Nov 25 (Jan 25, run Jan 10); 25 -> 5 on Dec 11 would make it Jan 5, run Dec 10:
    yesterday. Refused with the reason, nothing changed. Before: charged that night, unnoticed,
    and the borrower's cancel refused ("too close")."""
    payment_submit(
        loan_id=linked_loan.pk,
        method=card,
        amount=INSTALLMENT,
        idempotency_key="by-hand-dec",
        payer=borrower,
        payer_email=borrower.email,
        now=at(START, 9),
    )
    plan = enroll(linked_loan, card, now=at(START, 9), schedule="monthly_day", day_of_month=10)
    _due_day(clock, linked_loan.pk, 25, on=dt.date(2026, 11, 25))
    assert plan_cursor(plan) == (dt.date(2027, 1, 25), dt.date(2027, 1, 8))  # Sun 10th: Fri 8th

    with pytest.raises(ServicingError, match="Dec 10"):
        _due_day(clock, linked_loan.pk, 5, on=dt.date(2026, 12, 11))

    linked_loan.refresh_from_db()
    assert linked_loan.due_day == 25
    assert plan_cursor(plan) == (dt.date(2027, 1, 25), dt.date(2027, 1, 8))
