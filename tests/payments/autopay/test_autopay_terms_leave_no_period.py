# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""A term change that leaves an autopay plan no period to charge ends the plan and tells the
borrower. Before (the attacker review helper-69, LOW), the plan stayed "On" with no next
payment: the nightly run only looks at plans with a next run date, so nothing ever charged
or ended it, and the dashboard went on saying autopay was on while the rest of the loan fell
due."""

import datetime as dt
from decimal import Decimal

import pytest
from autopay_fixtures import at, enroll, inline_charges, plan_cursor  # noqa: F401
from django.core import mail
from staff_helpers import make_staff

from accounts.roles import SUPERVISOR
from loans.servicing import loan_change_term
from payments import jobs
from payments.models import AutopayPlan
from payments.services import payment_submit

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 24)  # linked_loan: 60 months, installment 11 due Dec 5 2026
ENDED = (
    "The loan's new terms leave no payment for autopay to make. "
    "Pay what is left from your loan's page."
)


def test_a_shorter_term_that_leaves_the_plan_no_period_ends_it_and_says_so(
    linked_loan, borrower, add_card, enroll, django_capture_on_commit_callbacks
):
    """December paid by hand; autopay on the 10th of the month before each due date charges
    January's installment (12) on Dec 10. On Dec 11 staff shorten the term to 12 months: Jan 5
    is now the last due date, already debited, so the plan has nothing left to charge."""
    card = add_card("4242424242424242")
    payment_submit(
        loan_id=linked_loan.pk,
        method=card,
        amount=Decimal("483.32"),
        idempotency_key="by-hand-dec",
        payer=borrower,
        payer_email=borrower.email,
        now=at(START, 9),
    )
    plan = enroll(linked_loan, card, now=at(START, 9), schedule="monthly_day", day_of_month=10)
    jobs.run_autopay(on=dt.date(2026, 12, 10), now=at(dt.date(2026, 12, 10)))
    assert plan.debits.get().period_key == dt.date(2027, 1, 5)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _loan, change = loan_change_term(
            loan_id=linked_loan.pk,
            term_months=12,
            reason="Balloon agreed with the borrower",
            actor=make_staff(SUPERVISOR),
            on=dt.date(2026, 12, 11),
        )

    plan.refresh_from_db()
    assert (plan.status, plan.ended_reason) == (AutopayPlan.Status.ENDED, ENDED)
    assert plan_cursor(plan) == (None, None)
    assert change["after"]["autopay_plans"] == [
        {"plan": plan.pk, "next_run_date": "None", "ended": True}
    ]
    assert [m.subject for m in mail.outbox] == ["Your autopay has ended"]
    assert ENDED in mail.outbox[0].body
