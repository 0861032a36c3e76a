# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""What the attacker review helper-73 of 2fabe7d found, each reproduced here first (the
reviewer's tests): re-presenting only returns of entries since the plan's charge_from left an
R01 return after a change of card, or after a pause, never re-presented nor collected (1, 2);
the refusal to bring back a stopped retry's date refused it for an installment paid since,
for good while the plan was paused (3, 4); and a borrower's skip moved onto the stopped
retry's key was an IntegrityError, a 500 (5)."""

import datetime as dt

import pytest
import time_machine
from autopay_fixtures import (  # noqa: F401
    at,
    debit_rows,
    enroll,
    inline_charges,
    nightly,
    plan_cursor,
    retrying,
)
from staff_helpers import make_staff

from accounts.roles import SUPERVISOR
from loans.servicing import ServicingError, loan_change_due_day, loan_defer_installments
from payments.autopay import schedule as sched
from payments.autopay.services import (
    autopay_change,
    autopay_pause,
    autopay_resume,
    autopay_skip_next,
)
from payments.models import Payment, SandboxToken

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026 (installment 11)
RUN_DAY = dt.date(2026, 12, 4)
DEC5, DEC20, JAN5 = dt.date(2026, 12, 5), dt.date(2026, 12, 20), dt.date(2027, 1, 5)


def _stop_decembers_retry_and_pay_it_by_hand(
    retrying, linked_loan, borrower, time_machine, pay, installments=1
):
    """Due day 5 -> 20 at 6:10 Dec 4 (December's retry stops: SKIPPED, key Dec 5); the card
    works again and on Dec 7 the borrower pays `installments` installments from the portal."""
    staff = make_staff(SUPERVISOR)
    time_machine.move_to(at(RUN_DAY, 6, 10))
    loan_change_due_day(
        loan_id=linked_loan.pk, due_day=20, reason="Payday", actor=staff, on=RUN_DAY
    )
    SandboxToken.objects.filter(token=retrying.method_token).update(outcome="ok")
    time_machine.move_to(at(dt.date(2026, 12, 7), 10))
    payment = pay(
        linked_loan, retrying.method, linked_loan.installment_amount * installments, payer=borrower
    )
    assert payment.status == "posted", payment.status
    return staff


def test_a_paused_plan_does_not_block_moving_the_due_day_back_after_the_installment_was_paid(
    retrying, linked_loan, borrower, time_machine, pay
):
    """December's retry stopped by 5 -> 20; the borrower pays December..February by hand on
    Dec 7 and pauses autopay. On Feb 10 2027 (loan current, nothing of the stopped retry's
    installment owed) staff move the due day back to 5. Before: refused "autopay could not
    collect it", and for as long as the plan stayed paused (its cursor stays Dec 20, so
    periods_from maps back to Dec 5 at every attempt). Now it goes through."""
    staff = _stop_decembers_retry_and_pay_it_by_hand(
        retrying, linked_loan, borrower, time_machine, pay, installments=3
    )
    autopay_pause(plan_id=retrying.pk, user=borrower, now=at(dt.date(2026, 12, 7), 11))
    on = dt.date(2027, 2, 10)
    time_machine.move_to(at(on, 10))
    loan_change_due_day(  # raised ServicingError before: the stopped Dec 5 retry
        loan_id=linked_loan.pk, due_day=5, reason="Payday back", actor=staff, on=on
    )
    linked_loan.refresh_from_db()
    assert linked_loan.due_day == 5


def test_a_due_day_moved_back_after_december_was_paid_by_hand_goes_through(
    retrying, linked_loan, borrower, time_machine, pay
):
    """Same, active plan: December paid by hand on Dec 7, staff move the due day back to 5 on
    Dec 10. Nothing is left to collect for Dec 5: the change goes through and January is next.
    Before: refused, "autopay could not collect it", choose another day."""
    staff = _stop_decembers_retry_and_pay_it_by_hand(
        retrying, linked_loan, borrower, time_machine, pay
    )
    on = dt.date(2026, 12, 10)
    time_machine.move_to(at(on, 10))
    loan_change_due_day(loan_id=linked_loan.pk, due_day=5, reason="Payday back", actor=staff, on=on)
    assert plan_cursor(retrying)[0] == JAN5


def test_a_borrower_skip_moved_onto_the_stopped_retrys_key_does_not_crash_the_change(
    retrying, linked_loan, borrower, time_machine, pay
):
    """December paid by hand; the borrower also skips autopay's Dec 20 payment (so it does not
    take December again). Staff move the due day back to 5: _move_skips_ahead re-keys the skip
    to Dec 5, the stopped retry's key (one_debit_per_period) -> IntegrityError, a 500, before
    the refusal is even reached."""
    staff = _stop_decembers_retry_and_pay_it_by_hand(
        retrying, linked_loan, borrower, time_machine, pay
    )
    autopay_skip_next(
        plan_id=retrying.pk, user=borrower, now=at(dt.date(2026, 12, 7), 11), period_key=DEC20
    )
    on = dt.date(2026, 12, 10)
    time_machine.move_to(at(on, 10))
    loan_change_due_day(
        loan_id=linked_loan.pk, due_day=5, reason="Payday back", actor=staff, on=on
    )  # December is paid: no reason to refuse; the skip of it has nothing left to skip

    assert debit_rows(retrying) == [(DEC5, RUN_DAY, "skipped")]  # the stopped retry's row
    assert plan_cursor(retrying) == (JAN5, JAN5)


def test_an_r01_return_is_re_presented_after_the_borrower_changes_the_card(
    linked_loan, add_bank, add_card, enroll
):
    """Dec 4's entry from the R01 account is at the bank; on Dec 6 the borrower switches autopay
    to a working card (autopay_change: charge_from -> Dec 7+). The return lands Dec 8 and is
    re-presented. Before (2fabe7d): filtered out (run_date Dec 4 < charge_from), the Dec 5 row
    kept the key, the plan's next payment was Jan 5: December never collected by autopay."""
    plan = enroll(linked_loan, add_bank("000222222227"), now=at(START, 9))  # always R01
    nightly(START, dt.date(2026, 12, 5))
    assert debit_rows(plan) == [(DEC5, RUN_DAY, "charged")]
    card = add_card("4242424242424242")
    with time_machine.travel(at(dt.date(2026, 12, 6), 10), tick=False):
        autopay_change(
            plan_id=plan.pk,
            user=plan.owner,
            method=card,
            terms=sched.PlanTerms(
                schedule="monthly_due", amount_rule="installment", start_date=START
            ),
            ip_address="198.51.100.23",
            user_agent="test",
            now=at(dt.date(2026, 12, 6), 10),
        )
    nightly(dt.date(2026, 12, 6), dt.date(2027, 1, 3))
    assert Payment.objects.filter(loan=linked_loan, source="autopay", status="returned").exists()
    collected = Payment.objects.filter(
        loan=linked_loan, source="autopay", method=card, status="posted", effective_date__lt=JAN5
    )
    assert collected.exists(), (
        f"December's returned installment never re-presented: {debit_rows(plan)}, "
        f"cursor {plan_cursor(plan)}"
    )


def test_a_returned_installment_deferred_while_paused_is_collected_on_its_new_date(
    linked_loan, add_bank, enroll, borrower
):
    """2fabe7d's own scenario carried on: Dec 4's entry returns R01 Dec 8 while the plan is
    paused; Dec 9 a one-month extension moves December's installment to Jan 5 (moved_to set)
    and the borrower resumes. The return is read and moved_to applied: the installment now
    due Jan 5 is collected then. Before (2fabe7d): the return was never read again
    (charge_from), the plan's next payment was Feb 5 and Jan 5's installment not collected."""
    plan = enroll(linked_loan, add_bank("000222222227"), now=at(START, 9))
    nightly(START, RUN_DAY)
    with time_machine.travel(at(dt.date(2026, 12, 5), 9), tick=False):
        autopay_pause(plan_id=plan.pk, user=borrower)
    nightly(dt.date(2026, 12, 5), dt.date(2026, 12, 8))
    with time_machine.travel(at(dt.date(2026, 12, 9), 10), tick=False):
        loan_defer_installments(
            loan_id=linked_loan.pk,
            months=1,
            reason="Hardship: the December payment bounced",
            actor=make_staff(SUPERVISOR),
            on=dt.date(2026, 12, 9),
        )
        autopay_resume(plan_id=plan.pk, user=borrower)
    nightly(dt.date(2026, 12, 10), dt.date(2027, 1, 6))
    assert plan.debits.filter(period_key=JAN5).exists(), (
        f"the installment due Jan 5 (after the resume) is not collected: {debit_rows(plan)}, "
        f"cursor {plan_cursor(plan)}"
    )


def test_a_bank_payment_still_at_the_bank_does_not_count_as_paying_the_stopped_retrys_installment(
    retrying, linked_loan, borrower, add_bank, time_machine, pay
):
    """The attacker review helper-74 of 5e2f6c7: Dec 4 6:10 due day 5 -> 20 stops December's
    retry. Dec 7 the borrower pays December from a bank account: the entry is at the bank,
    already counted as paid. Dec 8 staff move the due day back to 5. Counted as paid, the
    refusal was not made: the plan's next payment became Jan 5, the entry came back R01 on
    Dec 9, and autopay, whose Dec 5 key the stopped retry holds, never collected December.
    Money that can still come back does not count: the change is refused, nothing changes."""
    staff = make_staff(SUPERVISOR)
    time_machine.move_to(at(RUN_DAY, 6, 10))
    loan_change_due_day(
        loan_id=linked_loan.pk, due_day=20, reason="Payday", actor=staff, on=RUN_DAY
    )
    time_machine.move_to(at(dt.date(2026, 12, 7), 10))
    payment = pay(
        linked_loan, add_bank("000222222227"), linked_loan.installment_amount, payer=borrower
    )
    assert payment.status == "pending"
    on = dt.date(2026, 12, 8)
    time_machine.move_to(at(on, 10))
    with pytest.raises(ServicingError, match="stopped by an earlier change of these terms"):
        loan_change_due_day(
            loan_id=linked_loan.pk, due_day=5, reason="Payday back", actor=staff, on=on
        )
    linked_loan.refresh_from_db()
    assert linked_loan.due_day == 20
    assert plan_cursor(retrying) == (dt.date(2026, 12, 20), dt.date(2026, 12, 18))


def test_autopays_own_entry_at_the_bank_does_not_let_a_change_bring_back_the_stopped_retrys_date(
    retrying, linked_loan, add_bank
):
    """The attacker review helper-75 of fbf919c: December's retry stopped by 5 -> 20; the
    borrower moves autopay to a bank account, which takes December on Dec 18 (key Dec 20, the
    entry at the bank). Staff move the due day back to 5 that day. Before: the refusal looked
    only from the plan's cursor (January), the change went through, the entry came back R01,
    and with Dec 5 held by the stopped retry December was never collected. Refused now:
    December is not paid by money that cannot come back."""
    staff = make_staff(SUPERVISOR)
    with time_machine.travel(at(RUN_DAY, 6, 10), tick=False):
        loan_change_due_day(
            loan_id=linked_loan.pk, due_day=20, reason="Payday", actor=staff, on=RUN_DAY
        )
    terms = sched.PlanTerms(schedule="monthly_due", amount_rule="installment", start_date=START)
    autopay_change(
        plan_id=retrying.pk,
        user=retrying.owner,
        method=add_bank("000222222227"),  # always R01
        terms=terms,
        ip_address="198.51.100.23",
        user_agent="test",
        now=at(dt.date(2026, 12, 5), 10),
    )
    nightly(dt.date(2026, 12, 5), dt.date(2026, 12, 18))
    assert debit_rows(retrying)[-1] == (DEC20, dt.date(2026, 12, 18), "charged")
    on = dt.date(2026, 12, 18)
    with (
        time_machine.travel(at(on, 10), tick=False),
        pytest.raises(ServicingError, match="installment due Dec 5 was stopped"),
    ):
        loan_change_due_day(
            loan_id=linked_loan.pk, due_day=5, reason="Payday back", actor=staff, on=on
        )
    linked_loan.refresh_from_db()
    assert linked_loan.due_day == 20


def test_an_ordinary_due_day_change_with_money_at_the_bank_goes_through(
    linked_loan, borrower, add_card, add_bank, enroll, pay
):
    """No retry was stopped: three installments paid from a bank account and still at the
    bank refuse nothing (the refusal reads only stopped retries). 5 -> 20 -> 5 on Nov 25-26."""
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    staff = make_staff(SUPERVISOR)
    with time_machine.travel(at(dt.date(2026, 11, 25), 10), tick=False):
        bank = add_bank("000123456789")
        paid = pay(linked_loan, bank, linked_loan.installment_amount * 3, payer=borrower)
        assert paid.status == "pending"
        loan_change_due_day(
            loan_id=linked_loan.pk,
            due_day=20,
            reason="Payday",
            actor=staff,
            on=dt.date(2026, 11, 25),
        )
    assert plan_cursor(plan)[0] == DEC20
    with time_machine.travel(at(dt.date(2026, 11, 26), 10), tick=False):
        loan_change_due_day(
            loan_id=linked_loan.pk, due_day=5, reason="back", actor=staff, on=dt.date(2026, 11, 26)
        )
    assert plan_cursor(plan)[0] == DEC5
