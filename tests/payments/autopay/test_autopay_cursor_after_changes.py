# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures and the pages tests
"""A plan's next payment is the first period of the loan's current schedule that has no debit
row (payments/autopay/selectors.py: next_open_period), the one rule the cursor, skip, undo and
the cut-off guard share. Periods keyed before a due-day or term change's new first period
belong to the old schedule (AutopayPlan.periods_from): paid, skipped or due under their old
dates, never charged again under the new ones.

Observed before (issue 15's stop notes, attacker review helper-64): undoing the first of two
skips never charged that payment; after a due-day change the borrower's cancel, pause and skip
were refused because a period already paid under its old date was taken for "next" (the
borrower's right to stop a payment, 12 CFR 1005.10(c)); and undoing a skip then charged an
installment already paid."""

import datetime as dt
from decimal import Decimal

import pytest
from autopay_fixtures import at, autopay_taken, debit_rows, enroll, inline_charges, plan_cursor  # noqa: F401
from staff_helpers import make_staff
from test_autopay_pages import START, card, clock, plan  # noqa: F401

from accounts.roles import SUPERVISOR
from loans.servicing import loan_change_due_day, loan_change_term
from payments import jobs
from payments.autopay.services import (
    autopay_cancel,
    autopay_pause,
    autopay_skip_next,
    autopay_unskip,
)

pytestmark = pytest.mark.django_db

INSTALLMENT = Decimal("483.32")
DEC_RUN = dt.date(2026, 12, 4)  # Dec 5 2026 is a Saturday: its debit runs Friday Dec 4


def _pay_december_then_move_the_due_day(clock, plan, day: int, *, on: dt.date) -> None:
    """December's debit is charged on Dec 4; on `on` a supervisor moves the due day to `day`."""
    clock.move_to(at(DEC_RUN))
    jobs.run_autopay(on=DEC_RUN, now=at(DEC_RUN))
    assert autopay_taken(plan.loan) == INSTALLMENT
    _move_due_day(clock, plan, day, on=on)


def _move_due_day(clock, plan, day: int, *, on: dt.date) -> None:
    clock.move_to(at(on, 10))
    actor = make_staff(SUPERVISOR)
    loan_change_due_day(
        loan_id=plan.loan_id, due_day=day, reason="Payday moved", actor=actor, on=on
    )


def test_undoing_the_first_of_two_skips_charges_that_payment_on_its_date(clock, plan):
    now = at(START, 10)
    autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=now)
    autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=now)
    assert plan_cursor(plan) == (dt.date(2027, 2, 5), dt.date(2027, 2, 5))

    undone = autopay_unskip(plan_id=plan.pk, user=plan.owner, now=now)

    assert undone.period_key == dt.date(2026, 12, 5)
    assert plan_cursor(plan) == (dt.date(2026, 12, 5), DEC_RUN)
    clock.move_to(at(DEC_RUN))
    jobs.run_autopay(on=DEC_RUN, now=at(DEC_RUN))
    assert debit_rows(plan) == [
        (dt.date(2026, 12, 5), DEC_RUN, "charged"),
        (dt.date(2027, 1, 5), dt.date(2027, 1, 5), "skipped"),
    ]
    assert autopay_taken(plan.loan) == INSTALLMENT
    assert plan_cursor(plan) == (dt.date(2027, 2, 5), dt.date(2027, 2, 5))


def test_after_a_due_day_change_the_borrower_can_still_cancel_pause_and_skip(clock, plan):
    """Due day 5 -> 1 on Dec 10, December paid: the new schedule's Dec 1 (run Mon Nov 30) is
    December's installment, already paid under Dec 5; the next payment is Jan 1 (run Thu Dec
    31). Before: Dec 1 was taken for "next", its cut-off long past, and every change refused."""
    _pay_december_then_move_the_due_day(clock, plan, 1, on=dt.date(2026, 12, 10))
    assert plan_cursor(plan) == (dt.date(2027, 1, 1), dt.date(2026, 12, 31))
    now = at(dt.date(2026, 12, 10), 11)

    skipped = autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=now)
    autopay_unskip(plan_id=plan.pk, user=plan.owner, now=now)
    paused = autopay_pause(plan_id=plan.pk, user=plan.owner, now=now)

    assert skipped.next_period_key == dt.date(2027, 2, 1)
    assert paused.status == "paused"
    assert debit_rows(plan) == [(dt.date(2026, 12, 5), DEC_RUN, "charged")]
    assert autopay_cancel(plan_id=plan.pk, user=plan.owner, now=now).status == "cancelled"


def test_after_a_due_day_change_undoing_a_skip_never_charges_a_paid_installment(clock, plan):
    """Due day 5 -> 20 on Dec 10, December paid: skip and undo leave Jan 20 (run Wed Jan 20)
    next; nothing is charged on Dec 18, the run date of the new schedule's (paid) Dec 20.
    Before: the skip took Dec 20, the undo put it back and Dec 18 charged December twice."""
    _pay_december_then_move_the_due_day(clock, plan, 20, on=dt.date(2026, 12, 10))
    now = at(dt.date(2026, 12, 10), 11)

    autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=now)
    assert debit_rows(plan)[-1] == (dt.date(2027, 1, 20), dt.date(2027, 1, 20), "skipped")
    autopay_unskip(plan_id=plan.pk, user=plan.owner, now=now)

    assert plan_cursor(plan) == (dt.date(2027, 1, 20), dt.date(2027, 1, 20))
    for day in (dt.date(2026, 12, 18), dt.date(2026, 12, 21)):
        clock.move_to(at(day))
        jobs.run_autopay(on=day, now=at(day))
    assert autopay_taken(plan.loan) == INSTALLMENT
    assert debit_rows(plan) == [(dt.date(2026, 12, 5), DEC_RUN, "charged")]


def test_a_skip_made_before_a_due_day_change_skips_the_same_installment_and_can_be_undone(
    clock, plan
):
    """Skip December on Nov 24; on Nov 25 the due day moves 5 -> 20. The skip moves with its
    installment (Dec 20, run Fri Dec 18) and undoing it brings that payment back."""
    autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=at(START, 10))
    _move_due_day(clock, plan, 20, on=dt.date(2026, 11, 25))
    assert debit_rows(plan) == [(dt.date(2026, 12, 20), dt.date(2026, 12, 18), "skipped")]
    assert plan_cursor(plan) == (dt.date(2027, 1, 20), dt.date(2027, 1, 20))

    autopay_unskip(plan_id=plan.pk, user=plan.owner, now=at(dt.date(2026, 11, 25), 11))

    assert plan_cursor(plan) == (dt.date(2026, 12, 20), dt.date(2026, 12, 18))
    clock.move_to(at(dt.date(2026, 12, 18)))
    jobs.run_autopay(on=dt.date(2026, 12, 18), now=at(dt.date(2026, 12, 18)))
    assert debit_rows(plan) == [(dt.date(2026, 12, 20), dt.date(2026, 12, 18), "charged")]
    assert autopay_taken(plan.loan) == INSTALLMENT


def test_a_skip_of_an_installment_a_shorter_term_no_longer_has_is_removed(clock, plan):
    """Skip December and January on Nov 24; on Nov 25 the term is cut to 11 months, December
    the last installment. January's skip skips nothing now and is removed: "undo" could not
    bring it back. December's stays, and undoing it brings December back."""
    now = at(START, 10)
    autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=now)
    autopay_skip_next(plan_id=plan.pk, user=plan.owner, now=now)
    clock.move_to(at(dt.date(2026, 11, 25), 10))
    loan_change_term(
        loan_id=plan.loan_id,
        term_months=11,
        reason="Settlement",
        actor=make_staff(SUPERVISOR),
        on=dt.date(2026, 11, 25),
    )

    assert debit_rows(plan) == [(dt.date(2026, 12, 5), DEC_RUN, "skipped")]
    assert plan_cursor(plan) == (None, None)
    autopay_unskip(plan_id=plan.pk, user=plan.owner, now=at(dt.date(2026, 11, 25), 11))
    assert plan_cursor(plan) == (dt.date(2026, 12, 5), DEC_RUN)
