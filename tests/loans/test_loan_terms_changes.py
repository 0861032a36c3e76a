"""Issue 13: a loan's due day, maturity and rate change only through services that validate
them, rebuild what depends on them (schedule, autopay run dates, status) and are audited.
Observed before: the admin saved a due day of any value, wrote no audit row, and three
borrower pages answered 500."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from staff_helpers import NOW, TODAY, borrower_pages, make_staff, staff_client

from accounts.models import AuditEvent
from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans.models import LoanPosting
from loans.servicing import ServicingError, loan_change_rate, loan_change_term
from payments.autopay import schedule as sched
from payments.autopay.services import autopay_enroll

REASON = "Borrower's payday moved to the 20th"
ALL_200 = dict.fromkeys(
    ["dashboard", "loan detail", "pay", "history", "autopay", "calendar feed"], 200
)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(linked_loan, borrower, add_card):
    return autopay_enroll(
        user=borrower,
        loan_id=linked_loan.pk,
        method=add_card("4242424242424242"),
        terms=sched.PlanTerms(schedule="monthly_due", amount_rule="installment", start_date=TODAY),
        ip_address="203.0.113.9",
        user_agent="pytest",
        now=NOW,
    )


def _post_due_day(user, loan, day):
    return staff_client(user).post(
        f"/admin/loans/loan/{loan.pk}/due_day/", {"due_day": day, "reason": REASON}
    )


@pytest.mark.django_db
def test_a_due_day_outside_1_to_28_is_refused_next_to_the_field(linked_loan):
    response = _post_due_day(make_staff(SUPERVISOR), linked_loan, "31")

    assert response.status_code == 200
    assert response.context["form"].errors == {"due_day": ["Choose a due day from 1 to 28."]}
    linked_loan.refresh_from_db()
    assert (linked_loan.due_day, linked_loan.first_due_date) == (5, dt.date(2026, 2, 5))
    assert not AuditEvent.objects.filter(action="loan.change_due_day").exists()


@pytest.mark.django_db
def test_a_due_day_change_moves_the_schedule_and_autopay_and_is_audited(
    linked_loan, borrower, plan
):
    # Dec 5 2026 is a Saturday: the debit runs Friday Dec 4. Dec 20 is a Sunday: Friday Dec 18.
    assert (plan.next_period_key, plan.next_run_date) == (
        dt.date(2026, 12, 5),
        dt.date(2026, 12, 4),
    )
    supervisor = make_staff(SUPERVISOR)

    response = _post_due_day(supervisor, linked_loan, "20")

    assert response.status_code == 302
    linked_loan.refresh_from_db()
    plan.refresh_from_db()
    assert (linked_loan.due_day, linked_loan.first_due_date, linked_loan.status) == (
        20,
        dt.date(2026, 2, 20),
        "current",
    )
    assert (plan.next_period_key, plan.next_run_date) == (
        dt.date(2026, 12, 20),
        dt.date(2026, 12, 18),
    )
    audit = AuditEvent.objects.get(action="loan.change_due_day")
    assert (audit.actor, audit.reason) == (supervisor, REASON)
    assert audit.details == {
        "before": {"due_day": 5, "first_due_date": "2026-02-05"},
        "after": {
            "due_day": 20,
            "first_due_date": "2026-02-20",
            "autopay_plans": [{"plan": plan.pk, "next_run_date": "2026-12-18"}],
        },
    }
    assert not LoanPosting.objects.exists()
    assert borrower_pages(borrower, linked_loan, plan=plan) == ALL_200


@pytest.mark.django_db
def test_a_due_day_change_that_would_make_an_installment_due_in_the_past_is_refused(
    linked_loan,
):
    # Installment 11 is due Dec 5; moving to the 1st keeps it on Dec 1 (future): allowed.
    # With installment 10 unpaid (Nov 5), the loan is past due: refused.
    linked_loan.paid_toward_installments = Decimal("4349.88")
    linked_loan.save()
    response = _post_due_day(make_staff(SUPERVISOR), linked_loan, "20")
    assert response.context["form"].errors == {
        "due_day": ["This loan is past due; bring it current before moving its due date."]
    }
    linked_loan.refresh_from_db()
    assert linked_loan.due_day == 5


@pytest.mark.django_db
def test_a_support_agent_cannot_change_a_due_day(linked_loan):
    assert _post_due_day(make_staff(SUPPORT_AGENT), linked_loan, "20").status_code == 403
    linked_loan.refresh_from_db()
    assert linked_loan.due_day == 5


@pytest.mark.django_db
def test_a_rate_change_accrues_at_the_old_rate_first(linked_loan):
    supervisor = make_staff(SUPERVISOR)
    posting, change = loan_change_rate(
        loan_id=linked_loan.pk, apr_percent=Decimal("4.000"), reason=REASON, actor=supervisor,
        on=TODAY,
    )  # fmt: skip
    linked_loan.refresh_from_db()
    assert (posting.kind, posting.interest_accrued, posting.principal) == (
        "adjustment",
        Decimal("66.64"),
        Decimal("0.00"),
    )
    assert (linked_loan.apr_percent, linked_loan.accrued_interest) == (
        Decimal("4.000"),
        Decimal("66.64"),
    )
    assert linked_loan.interest_accrued_through == TODAY
    assert change["after"] == {"apr_percent": "4.000", "interest_accrued": "66.64"}


@pytest.mark.django_db
def test_a_term_cannot_end_before_an_installment_already_due(linked_loan):
    with pytest.raises(ServicingError, match=r"Choose a term from 11 to 120 months\."):
        loan_change_term(
            loan_id=linked_loan.pk, term_months=10, reason=REASON,
            actor=make_staff(SUPERVISOR), on=TODAY,
        )  # fmt: skip
    _loan, change = loan_change_term(
        loan_id=linked_loan.pk, term_months=72, reason=REASON,
        actor=make_staff(SUPERVISOR), on=TODAY,
    )  # fmt: skip
    assert change["before"]["maturity"] == "2031-01-05"
    assert change["after"]["maturity"] == "2032-01-05"
