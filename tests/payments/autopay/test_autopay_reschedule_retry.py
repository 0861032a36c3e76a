# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""A debit waiting to be retried (a retryable decline, or an R01/R09 return waiting to be
re-presented) when staff move the loan's due dates: the retry was of the installment's old
date. Left alone (the attacker review helper-69, "RETRY is not an open debit"), an extension
granted because the payment bounced re-presented the installment it had just deferred, and
the plan's next payment skipped to the installment after it; a due-day change retried the
installment before its new due date and never on it. Now the retry stops and the installment
is collected on its new date, by the plan's next payment."""

import datetime as dt

import pytest
from autopay_fixtures import (  # noqa: F401
    at,
    debit_rows,
    enroll,
    inline_charges,
    plan_cursor,
    retrying,
)
from django.core import mail
from staff_helpers import make_staff

from accounts.roles import SUPERVISOR
from loans.servicing import loan_change_due_day, loan_change_term, loan_defer_installments
from payments import jobs
from payments.models import Payment

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026 (installment 11)
RUN_DAY = dt.date(2026, 12, 4)  # Dec 5 2026 is a Saturday: its debit runs Friday Dec 4
STOPPED = "the loan's terms changed: this installment is now due"  # + its new date


def _retry_run(plan) -> list[str]:
    """The retry's time comes; what the plan's payments are then."""
    jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY, 6, 16))
    return list(Payment.objects.filter(loan=plan.loan).values_list("status", flat=True))


def test_an_extension_stops_the_retry_of_the_installment_it_defers(
    retrying, time_machine, django_capture_on_commit_callbacks
):
    """A one-month extension at 6:10: December's installment is now due Jan 5 2027 (a
    Tuesday). The 6:15 retry does not charge it; the plan's next payment is that installment
    on Jan 5, not February's, and the borrower is told (the decline's email said "we'll try
    again"). Before: charged again at 6:16, next payment Feb 5."""
    time_machine.move_to(at(RUN_DAY, 6, 10))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _loan, change = loan_defer_installments(
            loan_id=retrying.loan_id,
            months=1,
            reason="Hardship: the December payment bounced",
            actor=make_staff(SUPERVISOR),
            on=RUN_DAY,
        )
    [told] = mail.outbox
    assert told.subject == "Your autopay follows your loan's new due dates"
    assert (
        "Your loan's due dates changed, so we will not retry the automatic payment for "
        "the installment due December 5, 2026. Autopay collects it on its new date: the next "
        "automatic payment is on Tuesday, January 5, 2027." in told.body
    )
    assert "Pay now" not in told.body

    assert _retry_run(retrying) == ["failed"]  # the 6:00 decline only
    debit = retrying.debits.get()
    assert (debit.status, debit.reason) == ("skipped", f"{STOPPED} Jan 5, 2027")
    assert debit.next_attempt_at == at(RUN_DAY, 6, 15)  # kept as it was, for the record
    assert plan_cursor(retrying) == (dt.date(2027, 1, 5), dt.date(2027, 1, 5))
    assert change["after"]["autopay_plans"] == [
        {"plan": retrying.pk, "next_run_date": "2027-01-05", "retries_stopped": ["2026-12-05"]}
    ]


def test_a_due_day_change_stops_the_retry_and_collects_the_installment_on_its_new_date(
    retrying, time_machine
):
    """Due day 5 -> 20 at 6:10 on Dec 4: December's installment is due Sunday Dec 20, so
    autopay takes it Friday Dec 18. Before: retried at 6:16, before its new due date, and the
    plan's next payment was January's."""
    time_machine.move_to(at(RUN_DAY, 6, 10))
    loan_change_due_day(
        loan_id=retrying.loan_id,
        due_day=20,
        reason="Payday moved",
        actor=make_staff(SUPERVISOR),
        on=RUN_DAY,
    )

    assert _retry_run(retrying) == ["failed"]
    assert retrying.debits.get().reason == f"{STOPPED} Dec 20, 2026"
    assert plan_cursor(retrying) == (dt.date(2026, 12, 20), dt.date(2026, 12, 18))


def test_a_term_change_keeps_the_retry_of_an_installment_whose_date_stays(retrying, time_machine):
    """A longer term moves no due date: December's installment is still due Dec 5 and its
    retry still collects it; the plan's next payment stays January's."""
    time_machine.move_to(at(RUN_DAY, 6, 10))
    loan_change_term(
        loan_id=retrying.loan_id,
        term_months=retrying.loan.term_months + 6,
        reason="Longer term",
        actor=make_staff(SUPERVISOR),
        on=RUN_DAY,
    )

    assert _retry_run(retrying) == ["failed", "failed"]  # retried (the card still declines)
    assert retrying.debits.get().attempts == 2
    assert plan_cursor(retrying) == (dt.date(2027, 1, 5), dt.date(2027, 1, 5))
