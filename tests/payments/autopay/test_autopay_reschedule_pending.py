# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""What the attacker review helper-70 of 5999fc2 (a term change stops the retry of an
installment whose date moved) found, each reproduced here first:

1. an extension granted while December's ACH entry was still at the bank (its debit CHARGED,
   not RETRY): the R01 return re-presented the deferred installment during the deferral, an
   NSF fee each time, and once the re-presentments ran out nothing collected it on its new
   date (the plan's next payment was the installment after it);
2. a due day moved and moved back while December's debit waited to be retried: the stopped
   retry's row held the Dec 5 key, so when Dec 5 was a due date again the plan stepped over
   it and December was never collected (now refused)."""

import datetime as dt

import pytest
import time_machine
from autopay_fixtures import (  # noqa: F401
    at,
    debit_rows,
    enroll,
    five_tries_within_the_hour,
    inline_charges,
    plan_cursor,
)
from staff_helpers import make_staff

from accounts.roles import SUPERVISOR
from loans.servicing import ServicingError, loan_change_due_day, loan_defer_installments
from payments import jobs
from payments.models import Payment

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


# --- 5999fc2 ------------------------------------------------------------------------------


@pytest.fixture
def retrying(linked_loan, add_card, enroll):
    """December's debit declined for insufficient funds at 6:00 on Dec 4: retried at 6:15."""
    plan = enroll(linked_loan, add_card("4000000000009995"), now=at(START, 9))
    assert jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY))["retried"] == 1
    return plan


def test_a_due_day_moved_and_moved_back_does_not_drop_the_installment_from_autopay(
    retrying, time_machine
):
    """Due day 5 -> 20 at 6:10 (the retry stops: SKIPPED at key Dec 5, next payment Dec 20),
    then back to 5 at 6:12. December's installment would be due Dec 5 again, a key its
    stopped retry's row holds: the plan would step over it and December would never be
    collected (before: accepted, next payment January's). Refused with the reason; nothing
    changes. Reviving the retry instead charged installments deferred or collected since
    (the attacker review helper-72: test_autopay_reschedule_review72.py)."""
    staff = make_staff(SUPERVISOR)
    time_machine.move_to(at(RUN_DAY, 6, 10))
    loan_change_due_day(
        loan_id=retrying.loan_id, due_day=20, reason="Payday", actor=staff, on=RUN_DAY
    )
    assert plan_cursor(retrying) == (dt.date(2026, 12, 20), dt.date(2026, 12, 18))
    time_machine.move_to(at(RUN_DAY, 6, 12))
    with pytest.raises(ServicingError) as refused:
        loan_change_due_day(
            loan_id=retrying.loan_id, due_day=5, reason="Payday back", actor=staff, on=RUN_DAY
        )
    assert str(refused.value) == (
        "The borrower's automatic payment of the installment due Dec 5 was stopped by an "
        "earlier change of these terms; this change would make that its due date again, and "
        "autopay could not collect it. Choose another due day."
    )
    retrying.loan.refresh_from_db()
    assert retrying.loan.due_day == 20
    assert plan_cursor(retrying) == (dt.date(2026, 12, 20), dt.date(2026, 12, 18))


def test_an_extension_while_the_ach_debit_is_pending_does_not_re_present_the_deferred_installment(
    linked_loan, add_bank, enroll
):
    """The R01 account: Dec 4's entry is pending (debit CHARGED, not RETRY) when the borrower
    calls on Dec 7 and is granted a one-month extension: December's installment is now due
    Jan 5. The return lands Dec 8 and the nightly run re-presents the Dec 5 debit anyway
    (Dec 10, Dec 14...), each with an NSF fee, during the deferral; and the plan's next
    payment is Feb 5, so once the re-presentments are exhausted nothing collects the
    installment on its new date. 5999fc2 stops only debits already in RETRY."""
    plan = enroll(linked_loan, add_bank("000222222227"), now=at(START, 9))  # always R01
    nightly(START, dt.date(2026, 12, 6))
    assert debit_rows(plan) == [(DEC5, RUN_DAY, "charged")]  # pending ACH entry
    with time_machine.travel(at(dt.date(2026, 12, 7), 10), tick=False):
        loan_defer_installments(
            loan_id=linked_loan.pk,
            months=1,
            reason="Hardship: the December payment will bounce",
            actor=make_staff(SUPERVISOR),
            on=dt.date(2026, 12, 7),
        )
    nightly(dt.date(2026, 12, 7), dt.date(2027, 1, 6))
    before_jan5 = Payment.objects.filter(
        loan=linked_loan, source="autopay", effective_date__lt=JAN5
    ).values_list("effective_date", flat=True)
    nsf = linked_loan.postings.filter(kind="nsf_fee").count()
    assert (sorted(before_jan5), nsf) == ([RUN_DAY], 1), (
        f"the deferred installment was re-presented on {sorted(before_jan5)[1:]}, {nsf} NSF fees"
    )
    assert plan.debits.filter(period_key=JAN5).exists(), (
        f"nothing collects the installment on its new date: {debit_rows(plan)}, "
        f"cursor {plan_cursor(plan)}"
    )
