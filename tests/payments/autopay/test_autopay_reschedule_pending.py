# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""What the attacker review helper-70 of 5999fc2 (a term change stops the retry of an
installment whose date moved) found, each reproduced here first:

1. an extension granted while December's ACH entry was still at the bank (its debit CHARGED,
   not RETRY): the R01 return re-presented the deferred installment during the deferral, an
   NSF fee each time, and once the re-presentments ran out nothing collected it on its new
   date (the plan's next payment was the installment after it);
2. a due day moved and moved back while December's debit waited to be retried: the stopped
   retry's row held the Dec 5 key, so when Dec 5 was a due date again the plan stepped over
   it and December was never collected (now refused).

And what the attacker review helper-72 of 35bde15 then found (its tests, below the line):
reviving a retry an earlier change stopped, whenever its key was a due date again, charged
an installment deferred since (3) or collected since on its in-between date (4); and an R01
return that landed while the plan was paused was re-presented after the resume, during an
extension granted meanwhile (5)."""

import datetime as dt

import pytest
import time_machine
from autopay_fixtures import (  # noqa: F401
    at,
    debit_rows,
    enroll,
    five_tries_within_the_hour,
    inline_charges,
    nightly,
    plan_cursor,
    retrying,
)
from staff_helpers import make_staff

from accounts.roles import SUPERVISOR
from loans.servicing import (
    ServicingError,
    loan_change_due_day,
    loan_change_term,
    loan_defer_installments,
)
from payments.autopay.services import autopay_pause, autopay_resume
from payments.models import Payment, SandboxToken

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026 (installment 11)
RUN_DAY = dt.date(2026, 12, 4)  # Dec 5 2026 is a Saturday: its debit runs Friday Dec 4
DEC5, JAN5 = dt.date(2026, 12, 5), dt.date(2027, 1, 5)


# --- 5999fc2 ------------------------------------------------------------------------------


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


# --- the attacker review helper-72 of 35bde15 ----------------------------------------


def autopay_charges(loan, first: dt.date, last: dt.date) -> list:
    """(effective date, status) of the autopay payments that moved money in [first, last]."""
    rows = Payment.objects.filter(
        loan=loan,
        source="autopay",
        effective_date__gte=first,
        effective_date__lte=last,
    ).exclude(status__in=["failed", "cancelled"])
    return sorted(rows.values_list("effective_date", "status"))


def _funds_arrive(plan) -> None:
    """The borrower's card works again (pay day)."""
    SandboxToken.objects.filter(token=plan.method_token).update(outcome="ok")


def test_a_retry_stopped_by_an_extension_stays_stopped_through_a_later_term_change(
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


def test_a_due_day_moved_back_does_not_charge_an_installment_autopay_already_took(
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


def test_a_return_landing_while_the_plan_is_paused_is_not_re_presented_during_an_extension(
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
