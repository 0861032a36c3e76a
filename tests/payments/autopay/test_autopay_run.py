# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""The nightly autopay run against PostgreSQL: a year of debits, reruns, catch-up, final
payment, declines and retries, kill points, Regulation E notices, reminders, job summaries."""

import datetime as dt
import socket
from decimal import Decimal
from itertools import pairwise

import pytest
from autopay_fixtures import NY, at, enroll, inline_charges  # noqa: F401
from django.core import mail

from loans.calendar import add_business_days, is_business_day
from payments import jobs
from payments.autopay import engine
from payments.models import AutopayDebit, AutopayPlan, JobRun, Payment, SandboxCharge

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026 (installment 11)
DEAD_PROCESS = f"{socket.gethostname()[:60]}:4194305:1"  # above Linux's pid_max: never alive


def days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def run_every_night(first, last):
    for day in days(first, last):
        jobs.run_autopay(on=day, now=at(day))


def test_a_year_of_monthly_debits_on_the_due_date(linked_loan, add_card, enroll):
    card = add_card("4242424242424242")
    plan = enroll(linked_loan, card, now=at(START, 9))
    run_every_night(START, dt.date(2027, 11, 30))
    debits = list(AutopayDebit.objects.filter(plan=plan).order_by("period_key"))
    assert [(d.period_key, d.run_date) for d in debits] == [
        (dt.date(2026, 12, 5), dt.date(2026, 12, 4)),  # Saturday -> Friday
        (dt.date(2027, 1, 5), dt.date(2027, 1, 5)),
        (dt.date(2027, 2, 5), dt.date(2027, 2, 5)),
        (dt.date(2027, 3, 5), dt.date(2027, 3, 5)),
        (dt.date(2027, 4, 5), dt.date(2027, 4, 5)),
        (dt.date(2027, 5, 5), dt.date(2027, 5, 5)),
        (dt.date(2027, 6, 5), dt.date(2027, 6, 4)),  # Saturday
        (dt.date(2027, 7, 5), dt.date(2027, 7, 2)),  # Independence Day observed Monday
        (dt.date(2027, 8, 5), dt.date(2027, 8, 5)),
        (dt.date(2027, 9, 5), dt.date(2027, 9, 3)),  # Sunday
        (dt.date(2027, 10, 5), dt.date(2027, 10, 5)),
        (dt.date(2027, 11, 5), dt.date(2027, 11, 5)),
    ]
    assert {d.status for d in debits} == {"charged"}
    assert {d.amount for d in debits} == {Decimal("483.32")}
    payments = Payment.objects.filter(source="autopay").order_by("effective_date")
    assert [p.effective_date for p in payments] == [d.run_date for d in debits]
    assert SandboxCharge.objects.count() == 12
    linked_loan.refresh_from_db()
    assert linked_loan.status == "current"
    assert not linked_loan.postings.filter(kind="late_fee").exists()


def test_biweekly_year_pays_half_installments_and_never_late(linked_loan, add_card, enroll):
    card = add_card("4242424242424242")
    plan = enroll(
        linked_loan, card, now=at(START, 9), schedule="biweekly", start=dt.date(2026, 11, 27)
    )
    last = dt.date(2027, 11, 26)
    for day in days(START, last):
        jobs.run_autopay(on=day, now=at(day))
        jobs.assess_late_fees(on=day)
    debits = list(AutopayDebit.objects.filter(plan=plan).order_by("period_key"))
    assert len(debits) == 27
    assert debits[0].period_key == dt.date(2026, 11, 27)
    assert all((b.period_key - a.period_key).days == 14 for a, b in pairwise(debits))
    assert [d.run_date for d in debits if d.run_date != d.period_key] == [
        dt.date(2026, 12, 24)
    ]  # Christmas Day moves to Christmas Eve
    assert all(is_business_day(d.run_date) for d in debits)
    assert {d.amount for d in debits} == {Decimal("241.66")}
    assert SandboxCharge.objects.count() == 27
    assert not linked_loan.postings.filter(kind="late_fee").exists()


def test_running_twice_changes_nothing(linked_loan, add_card, enroll):
    enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    day = dt.date(2026, 12, 4)
    first = jobs.run_autopay(on=day, now=at(day))
    second = jobs.run_autopay(on=day, now=at(day, 7))
    jobs.run_daily(on=day, now=at(day, 8))
    assert first["charged"] == 1 and second["due"] == 0 and second["charged"] == 0
    assert SandboxCharge.objects.count() == 1
    assert Payment.objects.filter(source="autopay").count() == 1


def test_missed_days_are_caught_up_once(linked_loan, add_card, enroll):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    # The job did not run from Dec 1 to Feb 10: two periods were missed.
    day = dt.date(2027, 2, 10)
    result = jobs.run_autopay(on=day, now=at(day))
    assert result["due"] == 3 and result["charged"] == 3
    assert list(plan.debits.order_by("period_key").values_list("period_key", flat=True)) == [
        dt.date(2026, 12, 5),
        dt.date(2027, 1, 5),
        dt.date(2027, 2, 5),
    ]
    jobs.run_autopay(on=day, now=at(day, 7))
    assert SandboxCharge.objects.count() == 3


def test_final_payment_takes_the_payoff_and_ends_the_plan(linked_loan, add_card, enroll):
    linked_loan.principal_balance = Decimal("300.00")
    linked_loan.save()
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    run_every_night(START, dt.date(2027, 1, 31))
    debit = plan.debits.get()
    linked_loan.refresh_from_db()
    assert debit.amount < Decimal("483.32")
    assert linked_loan.status == "paid_off"
    plan.refresh_from_db()
    assert plan.status == "ended"
    assert SandboxCharge.objects.count() == 1
    assert any("Your autopay has ended" in m.subject for m in mail.outbox)


def test_hard_decline_is_not_retried_and_borrower_is_emailed(linked_loan, add_card, enroll):
    plan = enroll(linked_loan, add_card("4000000000000002"), now=at(START, 9))
    day = dt.date(2026, 12, 4)
    jobs.run_autopay(on=day, now=at(day))
    engine.autopay_recover(now=at(day, 12))
    jobs.run_autopay(on=day, now=at(day, 13))
    debit = plan.debits.get()
    assert (debit.status, debit.attempts, debit.reason) == ("failed", 1, "card_declined")
    assert SandboxCharge.objects.count() == 1
    failed = [m for m in mail.outbox if "didn't go through" in m.subject]
    assert len(failed) == 1 and "/payments/pay/" in failed[0].body


def test_soft_decline_is_retried_at_most_three_times(linked_loan, add_card, enroll):
    plan = enroll(linked_loan, add_card("4000000000009995"), now=at(START, 9))
    day = dt.date(2026, 12, 4)
    jobs.run_autopay(on=day, now=at(day))
    for hour in (7, 8, 9, 10, 11, 12):  # the retry backoff is 15 min, then 1 h
        jobs.run_autopay(on=day, now=at(day, hour))
    debit = plan.debits.get()
    assert (debit.status, debit.attempts) == ("failed", 3)
    assert SandboxCharge.objects.count() == 3
    assert Payment.objects.filter(source="autopay", status="failed").count() == 3


def test_temporary_processor_error_is_retried_with_backoff(linked_loan, add_card, enroll):
    plan = enroll(linked_loan, add_card("4000000000000119"), now=at(START, 9))
    day = dt.date(2026, 12, 4)
    first = jobs.run_autopay(on=day, now=at(day))
    debit = plan.debits.get()
    assert first["retried"] == 1 and debit.status == "retry"
    assert debit.next_attempt_at == at(day, 6, 15)
    assert jobs.run_autopay(on=day, now=at(day, 6, 10))["due"] == 0  # not yet


@pytest.mark.parametrize(
    "kill_point",
    [
        "after_claim",
        "before_processor",
        "after_processor",
        "before_commit",
        "after_commit",
        "mid_notification",
    ],
)
def test_the_next_run_finishes_a_killed_run_at_once_without_a_second_charge(
    kill_point, linked_loan, add_card, enroll, monkeypatch
):
    """Target 5: the run is killed at each point (a BaseException, run by a process that is
    then gone: its claims name a pid that does not exist); the very next run for that date,
    started at once, finishes the debit: no sweep, no waiting for a lease to run out."""
    from payments.autopay import batch, batch_record, leases
    from payments.gateways.sandbox import SandboxGateway

    class Killed(BaseException):
        pass

    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    day = dt.date(2026, 12, 4)
    real_charge, real_post = SandboxGateway.charge, batch_record.payment_posting
    real_record = batch_record.record
    with monkeypatch.context() as m:
        m.setattr(leases, "identity", lambda: DEAD_PROCESS)
        if kill_point == "after_claim":  # the chunk's set path (batch.py) starts
            m.setattr(batch, "prepare", lambda *a, **k: (_ for _ in ()).throw(Killed()))
        elif kill_point == "before_processor":
            m.setattr(SandboxGateway, "charge", lambda self, r: (_ for _ in ()).throw(Killed()))
        elif kill_point == "after_processor":

            def charge(self, request):
                real_charge(self, request)
                raise Killed

            m.setattr(SandboxGateway, "charge", charge)
        elif kill_point == "before_commit":

            def post(*args, **kwargs):  # the chunk's postings, computed, not committed
                real_post(*args, **kwargs)
                raise Killed

            m.setattr(batch_record, "payment_posting", post)
        elif kill_point == "after_commit":  # the chunk's outcomes committed, nothing after

            def record(*args, **kwargs):
                real_record(*args, **kwargs)
                raise Killed

            m.setattr(batch_record, "record", record)
        elif kill_point == "mid_notification":
            plan.method.disabled_reason = "R02 account closed"  # fail -> a notice is sent
            plan.method.save()
            m.setattr(
                "payments.notifications.send_mail",
                lambda *a, **k: (_ for _ in ()).throw(Killed()),
            )
        with pytest.raises(Killed):
            jobs.run_autopay(on=day, now=at(day))
    second = jobs.run_autopay(on=day, now=at(day, 6, 1))  # at once: same minute, real clock
    first_run, second_run = JobRun.objects.filter(job="run_autopay").order_by("pk")
    assert (first_run.status, second_run.status) == ("interrupted", "finished")
    debit = plan.debits.get()
    assert Payment.objects.filter(status__in=["submitting", "unknown"]).count() == 0
    if kill_point == "mid_notification":
        from payments.notifications import notices_retry_unsent

        assert debit.status == "failed" and SandboxCharge.objects.count() == 0
        assert notices_retry_unsent(older_than_minutes=0) == 1
        assert any("didn't go through" in m.subject for m in mail.outbox)
        return
    if kill_point == "after_commit":  # the posting and the debit committed together
        assert debit.status == "charged" and debit.job_run_id == first_run.pk
        assert (second["due"], second["charged"], second["pending"]) == (0, 0, 0)
    else:
        assert debit.status == "charged" and debit.job_run_id == second_run.pk
        assert (second["due"], second["charged"], second["pending"]) == (1, 1, 0)
    assert SandboxCharge.objects.count() == 1
    assert Payment.objects.filter(source="autopay").count() == 1
    assert linked_loan.postings.filter(kind="payment").count() == 1
    jobs.run_autopay(on=day, now=at(day, 6, 2))
    assert SandboxCharge.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_and_workers_charge_each_plan_once(add_card, borrower):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from factories import LoanFactory, LoanLinkFactory

    from payments.autopay import schedule as sched
    from payments.autopay.services import autopay_enroll

    card = add_card("4242424242424242")
    for _ in range(40):
        loan = LoanFactory(
            ten_paid=True,
        )
        LoanLinkFactory(user=borrower, loan=loan)
        autopay_enroll(
            user=borrower,
            loan_id=loan.pk,
            method=card,
            terms=sched.PlanTerms("monthly_due", "installment", START),
            ip_address=None,
            user_agent="",
            now=at(START, 9),
        )
    day = dt.date(2026, 12, 4)

    def run(i):
        try:
            if i % 2:
                return jobs.run_autopay(on=day, now=at(day))
            engine.autopay_schedule_due(on=day)
            ids = engine.due_debit_ids(on=day, now=at(day))
            return engine.autopay_charge_chunk(ids, on=day, now=at(day), concurrency=4)
        finally:
            connection.close()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(run, range(6)))
    assert SandboxCharge.objects.count() == 40
    assert AutopayDebit.objects.filter(status="charged").count() == 40
    assert Payment.objects.filter(source="autopay").count() == 40


def test_cancel_three_business_days_ahead_stops_the_debit(linked_loan, add_card, enroll, borrower):
    from payments.autopay.services import AutopayError, autopay_cancel, autopay_pause

    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    run_date = dt.date(2026, 12, 4)
    with pytest.raises(AutopayError, match="too close"):
        autopay_pause(plan_id=plan.pk, user=borrower, now=at(dt.date(2026, 12, 3), 17, 30))
    autopay_cancel(plan_id=plan.pk, user=borrower, now=at(add_business_days(run_date, -3), 16))
    run_every_night(START, dt.date(2027, 1, 10))
    assert SandboxCharge.objects.count() == 0
    assert any("cancelled" in m.subject for m in mail.outbox)


def test_pause_skip_resume_and_emails(linked_loan, add_card, enroll, borrower):
    from payments.autopay.services import autopay_pause, autopay_resume, autopay_skip_next

    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    autopay_skip_next(plan_id=plan.pk, user=borrower, now=at(START, 10))
    run_every_night(START, dt.date(2026, 12, 31))
    assert plan.debits.get().status == "skipped"
    autopay_pause(plan_id=plan.pk, user=borrower, now=at(dt.date(2026, 12, 10)))
    run_every_night(dt.date(2027, 1, 1), dt.date(2027, 1, 20))
    autopay_resume(plan_id=plan.pk, user=borrower, now=at(dt.date(2027, 1, 20)))
    run_every_night(dt.date(2027, 1, 21), dt.date(2027, 2, 6))
    assert list(plan.debits.order_by("period_key").values_list("period_key", "status")) == [
        (dt.date(2026, 12, 5), "skipped"),
        (dt.date(2027, 2, 5), "charged"),
    ]
    subjects = [m.subject for m in mail.outbox]
    assert "Autopay is on: your authorization" in subjects
    assert {
        "Your autopay payment on Dec 4 is skipped",
        "Your autopay is paused",
        "Your autopay is back on",
    } <= set(subjects)
    back_on = next(m for m in mail.outbox if m.subject == "Your autopay is back on")
    assert "The next automatic payment is on Friday, February 5, 2027." in back_on.body


def test_enrolment_stores_the_authorization_and_emails_a_copy(linked_loan, add_card, enroll):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    auth = plan.authorizations.get()
    assert auth.ip_address == "203.0.113.9" and auth.user_agent == "pytest"
    assert auth.text_version and "3 business days" in auth.text
    assert auth.terms["first_debits"][0] == ["2026-12-04", "483.32"]
    copy = next(m for m in mail.outbox if m.subject == "Autopay is on: your authorization")
    assert auth.text in copy.body.replace("\n", " ") or auth.text[:60] in copy.body
    with pytest.raises(Exception):  # noqa: B017 - append-only
        auth.save()


def test_a_changed_amount_is_announced_ten_days_before(linked_loan, add_card, enroll, borrower):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9), amount_rule="due")
    run_every_night(START, dt.date(2026, 12, 10))
    assert plan.debits.get().amount == Decimal("483.32")
    linked_loan.refresh_from_db()
    linked_loan.unpaid_fees = Decimal("25.00")  # a fee: next amount due is $508.32
    linked_loan.save()
    for day in days(dt.date(2026, 12, 11), dt.date(2027, 1, 6)):
        jobs.send_reminders(on=day)
        jobs.run_autopay(on=day, now=at(day))
    notice = next(m for m in mail.outbox if "next autopay amount" in m.subject)
    assert "$508.32" in notice.subject
    assert plan.debits.get(period_key=dt.date(2027, 1, 5)).amount == Decimal("508.32")


def test_unannounced_higher_amount_is_capped_at_the_previous_one(linked_loan, add_card, enroll):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9), amount_rule="due")
    run_every_night(START, dt.date(2026, 12, 10))
    linked_loan.refresh_from_db()
    linked_loan.unpaid_fees = Decimal("25.00")
    linked_loan.save()
    run_every_night(dt.date(2026, 12, 30), dt.date(2027, 1, 6))  # no notice job ran
    assert plan.debits.get(period_key=dt.date(2027, 1, 5)).amount == Decimal("483.32")


def test_reminders_are_sent_once_and_say_autopay_when_covered(
    linked_loan, add_card, enroll, borrower
):
    from factories import LoanFactory, LoanLinkFactory

    other = LoanFactory(
        ten_paid=True,
    )
    LoanLinkFactory(user=borrower, loan=other)
    enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    for _ in range(3):  # beat fired three times
        jobs.send_reminders(on=dt.date(2026, 12, 2))
    subjects = sorted(m.subject for m in mail.outbox if "enrol" not in m.subject)
    assert subjects.count("Autopay will debit $483.32 on Dec 4") == 1
    assert subjects.count("Your payment of $483.32 is due Dec 5") == 1
    mail.outbox.clear()
    for _ in range(2):
        jobs.send_reminders(on=dt.date(2026, 12, 7))
    assert [m.subject for m in mail.outbox] == ["Your loan payment is past due"] * 2


def test_each_run_records_a_summary_row(linked_loan, add_card, enroll):
    enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    day = dt.date(2026, 12, 4)
    jobs.run_daily(on=day, now=at(day))
    rows = {r.job: r for r in JobRun.objects.filter(business_date=day)}
    assert set(rows) == {
        "run_daily",
        "settle_payments",
        "scheduled_payments",
        "run_autopay",
        "assess_late_fees",
        "collections",
        "send_reminders",
        "card_expiry_notices",
        "statements",  # issue 14: monthly and year-end statements
    }
    auto = rows["run_autopay"]
    assert (auto.due, auto.charged, auto.failed, auto.skipped, auto.retried) == (1, 1, 0, 0, 0)
    assert auto.duration_ms is not None and auto.finished_at is not None


def test_card_expiry_notice_once(linked_loan, add_card, enroll):
    card = add_card("4242424242424242", exp=(1, 2027))
    enroll(linked_loan, card, now=at(START, 9))
    mail.outbox.clear()
    jobs.card_expiry_notices(on=dt.date(2026, 12, 1))
    jobs.card_expiry_notices(on=dt.date(2026, 12, 2))
    assert len(mail.outbox) == 1 and "Autopay uses this card" in mail.outbox[0].body


def test_commands_run_for_a_date(linked_loan, add_card, enroll):
    from django.core.management import call_command

    enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    for name in (
        "run_daily",
        "run_autopay",
        "send_reminders",
        "assess_late_fees",
        "settle_payments",
    ):
        call_command(name, "--date", "2026-12-04")
    assert AutopayPlan.objects.get().debits.count() == 1
    assert SandboxCharge.objects.count() == 1
