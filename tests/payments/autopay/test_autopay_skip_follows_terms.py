# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures and the pages tests
"""A skip still ahead takes its installment's run date under the plan's new terms
(payments/autopay/reschedule.py `autopay_skips_follow_terms`), so its undo's cut-off is the
real one.

Observed before (attacker review helper-67, pre-existing): December and January skipped; the
plan changed to run on the 20th of the month before each due date (January's installment
runs Fri Dec 18) while January's skip kept Jan 5. Undone on Dec 28, its period was charged on
Dec 29 — a week before the date the undo's email named — and a cancel was refused "too close
to your next automatic payment on Friday, Dec 18" (12 CFR 1005.10(c))."""

import datetime as dt

import pytest
from autopay_fixtures import at, enroll, inline_charges  # noqa: F401
from test_autopay_pages import START, card, clock, plan  # noqa: F401

from payments import jobs
from payments.autopay import schedule as sched
from payments.autopay.errors import AutopayError
from payments.autopay.services import (
    autopay_cancel,
    autopay_change,
    autopay_skip_next,
    autopay_unskip,
)
from payments.models import AutopayDebit, Payment

pytestmark = pytest.mark.django_db

DEC_28 = dt.date(2026, 12, 28)


def _skip_two_then_choose_the_20th(clock, plan):
    now = at(START, 10)
    autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=now)
    autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=now)
    clock.move_to(at(dt.date(2026, 11, 25), 10))
    autopay_change(
        plan_id=plan.pk,
        user=plan.owner,
        method=plan.method,
        terms=sched.PlanTerms(
            schedule="monthly_day", amount_rule="installment", start_date=START, day_of_month=20
        ),
        ip_address="198.51.100.23",
        user_agent="test",
        now=at(dt.date(2026, 11, 25), 10),
    )


def test_a_change_of_run_day_moves_the_skips_ahead_to_their_new_run_dates(clock, plan):
    """January's installment runs Fri Dec 18 under the new terms (Sunday Dec 20): its skip
    moves there. December's would run Fri Nov 20, before the plan's start: the new terms
    never collect it, so its skip skips nothing and is removed (nothing for "undo" to
    promise)."""
    _skip_two_then_choose_the_20th(clock, plan)

    rows = AutopayDebit.objects.filter(plan=plan).order_by("period_key")
    assert list(rows.values_list("period_key", "run_date", "status")) == [
        (dt.date(2027, 1, 5), dt.date(2026, 12, 18), "skipped"),
    ]
    plan.refresh_from_db()
    assert (plan.next_period_key, plan.next_run_date) == (dt.date(2027, 2, 5), dt.date(2027, 1, 20))


def test_undoing_a_skip_after_its_new_cut_off_is_refused_and_the_borrower_can_still_cancel(
    clock, plan
):
    """Dec 28: January's skip ran (Dec 18) and is history: there is nothing to undo, nothing
    is charged on Dec 29, and the cancel goes through."""
    _skip_two_then_choose_the_20th(clock, plan)
    clock.move_to(at(DEC_28, 10))

    with pytest.raises(AutopayError, match="There is no skipped payment to undo"):
        autopay_unskip(plan_id=plan.pk, user=plan.owner, now=at(DEC_28, 10))

    day = dt.date(2026, 12, 29)
    clock.move_to(at(day))
    jobs.run_autopay(on=day, now=at(day))
    assert not Payment.objects.filter(loan=plan.loan, source="autopay").exists()
    cancelled = autopay_cancel(plan_id=plan.pk, user=plan.owner, now=at(day, 10))
    assert cancelled.status == "cancelled"
