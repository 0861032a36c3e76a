# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""What the attacker review helper-72 of 35bde15 found, each reproduced here first (the
reviewer's tests): reviving a retry an earlier term change stopped, whenever its key was a
due date again, charged an installment deferred since (1) or collected since on its
in-between date (2); and an R01 return that landed while the plan was paused was
re-presented after the resume, during an extension granted meanwhile (3)."""

import datetime as dt

import pytest
import time_machine
from autopay_fixtures import (  # noqa: F401
    at,
    debit_rows,
    enroll,
    inline_charges,
    plan_cursor,
)
from staff_helpers import make_staff

from accounts.roles import SUPERVISOR
from loans.servicing import loan_change_due_day, loan_change_term, loan_defer_installments
from payments import jobs
from payments.autopay.services import autopay_pause, autopay_resume
from payments.models import Payment, SandboxToken

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026 (installment 11)
RUN_DAY = dt.date(2026, 12, 4)  # Dec 5 2026 is a Saturday: its debit runs Friday Dec 4
DEC5, JAN5 = dt.date(2026, 12, 5), dt.date(2027, 1, 5)


def nightly(first: dt.date, last: dt.date) -> None:
    day = first
    while day <= last:
        with time_machine.travel(at(day), tick=False):
            jobs.run_daily(on=day, now=at(day))
        day += dt.timedelta(days=1)


def autopay_charges(loan, first: dt.date, last: dt.date) -> list:
    """(effective date, status) of the autopay payments that moved money in [first, last]."""
    rows = Payment.objects.filter(
        loan=loan,
        source="autopay",
        effective_date__gte=first,
        effective_date__lte=last,
    ).exclude(status__in=["failed", "cancelled"])
    return sorted(rows.values_list("effective_date", "status"))


@pytest.fixture
def retrying(linked_loan, add_card, enroll):
    """December's debit declined for insufficient funds at 6:00 on Dec 4: retried at 6:15."""
    method = add_card("4000000000009995")
    plan = enroll(linked_loan, method, now=at(START, 9))
    assert jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY))["retried"] == 1
    plan.method_token = method.processor_token
    return plan


def _funds_arrive(plan) -> None:
    """The borrower's card works again (pay day)."""
    SandboxToken.objects.filter(token=plan.method_token).update(outcome="ok")


def test_a_retry_stopped_by_an_extension_is_revived_by_a_later_term_change_during_the_deferral(
    retrying, linked_loan, time_machine
):
    """Extension at 6:10 on Dec 4: December's installment is now due Jan 5, its retry SKIPPED
    (key Dec 5). But an extension moves the whole schedule: Dec 5 is now installment 10's due
    date. Any later change (here a longer term on Dec 7, no date moves) finds the SKIPPED key
    among the new due dates and `_resume_retries_due_again` turns it back into RETRY with its
    Dec 4 6:15 attempt time: the deferred installment is charged during the deferral, and again
    on Jan 5 by the plan."""
    staff = make_staff(SUPERVISOR)
    time_machine.move_to(at(RUN_DAY, 6, 10))
    loan_defer_installments(
        loan_id=linked_loan.pk, months=1, reason="Hardship", actor=staff, on=RUN_DAY
    )
    assert debit_rows(retrying) == [(DEC5, RUN_DAY, "skipped")]
    _funds_arrive(retrying)
    time_machine.move_to(at(dt.date(2026, 12, 7), 10))
    _loan, change = loan_change_term(
        loan_id=linked_loan.pk,
        term_months=linked_loan.term_months + 6,
        reason="Longer term",
        actor=staff,
        on=dt.date(2026, 12, 7),
    )
    nightly(dt.date(2026, 12, 8), dt.date(2027, 1, 6))
    charged = autopay_charges(linked_loan, DEC5, JAN5)
    assert [day for day, _ in charged] == [JAN5], (
        f"autopay moved money during the deferral: {charged}; audit {change['after']}; "
        f"debits {debit_rows(retrying)}"
    )


def test_a_retry_resumed_by_a_due_day_moved_back_charges_an_installment_autopay_already_took(
    retrying, linked_loan, time_machine
):
    """Due day 5 -> 20 at 6:10 on Dec 4 (the retry stops), the card works again and the plan
    takes December's installment on Fri Dec 18 (key Dec 20). On Dec 21 the borrower asks to go
    back to day 5 (allowed: December is paid, January's Jan 5 is ahead). The SKIPPED Dec 5 row
    is revived and retried that night: installment 11 is charged a second time (rule
    'installment'), then January's on Jan 5."""
    staff = make_staff(SUPERVISOR)
    time_machine.move_to(at(RUN_DAY, 6, 10))
    loan_change_due_day(
        loan_id=linked_loan.pk, due_day=20, reason="Payday", actor=staff, on=RUN_DAY
    )
    _funds_arrive(retrying)
    time_machine.move_to(at(dt.date(2026, 12, 5)))
    nightly(dt.date(2026, 12, 5), dt.date(2026, 12, 20))
    assert autopay_charges(linked_loan, DEC5, dt.date(2026, 12, 20)) == [
        (dt.date(2026, 12, 18), "posted")
    ]
    time_machine.move_to(at(dt.date(2026, 12, 21), 10))
    loan_change_due_day(
        loan_id=linked_loan.pk,
        due_day=5,
        reason="Payday back",
        actor=staff,
        on=dt.date(2026, 12, 21),
    )
    nightly(dt.date(2026, 12, 22), dt.date(2027, 1, 4))
    charged = autopay_charges(linked_loan, DEC5, dt.date(2027, 1, 4))
    assert len(charged) == 1, f"installment 11 charged twice: {charged}; {debit_rows(retrying)}"


def test_a_return_landing_while_the_plan_is_paused_is_re_presented_after_an_extension(
    linked_loan, add_bank, enroll, borrower
):
    """Dec 4's entry (R01 account) is at the bank; the borrower pauses autopay Dec 5; the
    return lands Dec 8 while paused (represent reads only ACTIVE plans); Dec 9 staff grant a
    one-month extension: `_follow_entries_at_the_bank` reads only PENDING payments, so the
    RETURNED entry gets no moved_to. The borrower resumes: the next night re-presents the
    deferred installment under its old Dec 5 key, during the deferral, with another NSF fee."""
    plan = enroll(linked_loan, add_bank("000222222227"), now=at(START, 9))  # always R01
    nightly(START, RUN_DAY)
    assert debit_rows(plan) == [(DEC5, RUN_DAY, "charged")]
    with time_machine.travel(at(dt.date(2026, 12, 5), 9), tick=False):
        autopay_pause(plan_id=plan.pk, user=borrower)
    nightly(dt.date(2026, 12, 5), dt.date(2026, 12, 8))
    assert plan.debits.get().payment.status == "returned"
    with time_machine.travel(at(dt.date(2026, 12, 9), 10), tick=False):
        loan_defer_installments(
            loan_id=linked_loan.pk,
            months=1,
            reason="Hardship: the December payment bounced",
            actor=make_staff(SUPERVISOR),
            on=dt.date(2026, 12, 9),
        )
        autopay_resume(plan_id=plan.pk, user=borrower)
    nightly(dt.date(2026, 12, 10), dt.date(2027, 1, 4))
    before_jan5 = Payment.objects.filter(
        loan=linked_loan, source="autopay", effective_date__lt=JAN5
    ).values_list("effective_date", flat=True)
    nsf = linked_loan.postings.filter(kind="nsf_fee").count()
    assert (sorted(before_jan5), nsf) == ([RUN_DAY], 1), (
        f"re-presented during the deferral: {sorted(before_jan5)}, {nsf} NSF fees, "
        f"{debit_rows(plan)}"
    )
