# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""Paying off a loan ends its autopay through one call, loan_paid_off_end_autopay, from a
payment's posting (payments/services/payoff.py) and from the nightly run (a charge that paid
the loan off, a debit skipped on a closed loan)."""

import datetime as dt
from decimal import Decimal

import pytest
from autopay_fixtures import at, enroll, inline_charges  # noqa: F401

from loans.models import Loan
from payments import jobs
from payments.autopay import engine, outcomes
from payments.services import payoff

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026, run Friday Dec 4
RUN_DAY = dt.date(2026, 12, 4)


def test_the_run_and_the_payment_path_end_autopay_through_the_same_function():
    assert engine.loan_paid_off_end_autopay is payoff.loan_paid_off_end_autopay
    assert outcomes.loan_paid_off_end_autopay is payoff.loan_paid_off_end_autopay
    assert not hasattr(outcomes, "_end_if_paid_off")
    assert not hasattr(payoff, "_end_plans")


def test_a_debit_skipped_on_a_charged_off_loan_with_a_balance_keeps_the_plan(
    linked_loan, add_card, enroll
):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    Loan.objects.filter(pk=linked_loan.pk).update(status=Loan.Status.CHARGED_OFF)
    result = jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY))
    plan.refresh_from_db()
    debit = plan.debits.get()
    assert (result["skipped"], debit.status, debit.reason) == (1, "skipped", "loan is charged off")
    assert plan.status == "active"
    assert payoff.loan_paid_off_end_autopay(loan_id=linked_loan.pk, on=RUN_DAY) == 0


def test_a_debit_skipped_on_a_paid_off_loan_ends_the_plan_once(linked_loan, add_card, enroll):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    Loan.objects.filter(pk=linked_loan.pk).update(status=Loan.Status.PAID_OFF)
    jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY))
    plan.refresh_from_db()
    assert (plan.debits.get().status, plan.status) == ("skipped", "ended")
    assert plan.ended_reason == "Your loan is paid off. Congratulations!"
    assert list(plan.events.values_list("kind", flat=True).order_by("pk")) == [
        "enrolled",
        "paid_off",
    ]
    assert payoff.loan_paid_off_end_autopay(loan_id=linked_loan.pk, on=RUN_DAY) == 0


def test_nothing_left_to_pay_on_the_run_date_ends_the_plan_though_the_status_lags(
    linked_loan, add_card, enroll
):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    Loan.objects.filter(pk=linked_loan.pk).update(
        principal_balance=Decimal("0.00"),
        accrued_interest=Decimal("0.00"),
        unpaid_fees=Decimal("0.00"),
    )
    assert payoff.loan_paid_off_end_autopay(loan_id=linked_loan.pk) == 0  # no date: status only
    assert payoff.loan_paid_off_end_autopay(loan_id=linked_loan.pk, on=RUN_DAY) == 1
    plan.refresh_from_db()
    assert plan.status == "ended"
