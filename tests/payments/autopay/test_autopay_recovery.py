# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""Issue 9, findings 6 and 7: what a killed job leaves is finished by itself, and a nightly run's
payment counts on the run's date. The one recovery sweep (payments/recovery.py), leases on
debit claims and JobRun status; real PostgreSQL."""

import datetime as dt
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import time_machine
from autopay_fixtures import NY, at, enroll, inline_charges  # noqa: F401
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from payments import jobruns, jobs
from payments.autopay import batch, engine, leases
from payments.models import AutopayDebit, JobRun, Payment, PaymentEvent, SandboxCharge
from payments.recovery import recovery_sweep

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 24)
RUN_DAY = dt.date(2026, 12, 4)  # linked_loan's Dec 5 installment is debited Friday Dec 4
HOST = socket.gethostname()[:60]
DEAD_PROCESS = f"{HOST}:4194305:1"  # above Linux's pid_max: never alive
ELSEWHERE = "another-host:4242:99"  # a live-looking holder on another machine


class Killed(BaseException):
    """A SIGKILL, simulated: nothing after it runs, no `except Exception` catches it."""


def _kill(*args, **kwargs):
    raise Killed


def _scheduled_debit(plan) -> AutopayDebit:
    engine.autopay_schedule_due(on=RUN_DAY)
    return plan.debits.get()


# --- leases: a dead claim is told from a live one ------------------------------------------------
def test_a_claim_held_elsewhere_is_left_until_its_lease_runs_out(linked_loan, add_card, enroll):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    debit = _scheduled_debit(plan)
    wall = timezone.now()
    AutopayDebit.objects.filter(pk=debit.pk).update(
        status="claimed", claimed_by=f"{ELSEWHERE}:c1", lease_until=wall + dt.timedelta(seconds=5)
    )
    assert recovery_sweep(now=at(RUN_DAY, 7), on=RUN_DAY) == {}
    assert SandboxCharge.objects.count() == 0
    AutopayDebit.objects.filter(pk=debit.pk).update(lease_until=wall - dt.timedelta(seconds=1))
    result = recovery_sweep(now=at(RUN_DAY, 7), on=RUN_DAY)
    # The charged payment's receipt is an outbox row; the same sweep sends it.
    assert result == {"debits_charged": 1, "notices_resent": 1}
    debit.refresh_from_db()
    assert debit.status == "charged" and SandboxCharge.objects.count() == 1


def test_a_claim_whose_process_on_this_host_is_gone_is_taken_over_at_once(
    linked_loan, add_card, enroll
):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    debit = _scheduled_debit(plan)
    until = timezone.now() + dt.timedelta(seconds=30)  # a fresh lease, but its holder is gone
    AutopayDebit.objects.filter(pk=debit.pk).update(
        status="claimed", claimed_by=f"{DEAD_PROCESS}:c1", lease_until=until
    )
    assert leases.holder_is_dead(DEAD_PROCESS) and not leases.holder_is_dead(leases.identity())
    assert not leases.holder_is_dead(ELSEWHERE)
    result = jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY))
    assert (result["due"], result["charged"], result["left_to_others"]) == (1, 1, 0)
    assert SandboxCharge.objects.count() == 1


def test_a_run_row_with_a_stale_heartbeat_is_interrupted_after_the_lease():
    wall = timezone.now()
    fresh, stale = (
        JobRun.objects.create(
            job="run_daily",
            business_date=RUN_DAY,
            started_at=wall,
            holder=ELSEWHERE,
            heartbeat_at=wall - dt.timedelta(seconds=age),
        )
        for age in (29, 31)
    )
    assert jobruns.mark_interrupted() == 1
    fresh.refresh_from_db()
    stale.refresh_from_db()
    assert (fresh.status, stale.status) == ("running", "interrupted")


# --- a killed run_daily: beat starts the night again ----------------------------------------------
def test_run_daily_due_starts_again_a_night_whose_run_daily_was_killed(
    linked_loan, add_card, enroll, monkeypatch
):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    beat_at = dt.datetime(2026, 12, 4, 6, 30, tzinfo=NY)  # 01:30 in New York: the night's run
    with time_machine.travel(beat_at, tick=False):
        with monkeypatch.context() as m:  # killed while charging: the claim names a dead pid
            m.setattr(leases, "identity", lambda: DEAD_PROCESS)
            m.setattr(batch, "prepare", _kill)  # the chunk's set path starts
            with pytest.raises(Killed):
                jobs.run_daily(on=RUN_DAY, lender_timezone="America/New_York")
        assert plan.debits.get().status == "claimed"
        from payments.tasks import run_daily_due

        assert run_daily_due() == ["America/New_York:2026-12-04"]
        assert run_daily_due() == []  # finished now: beat leaves the night alone
    runs = JobRun.objects.filter(job="run_daily").order_by("pk")
    assert [r.status for r in runs] == ["interrupted", "finished"]
    assert runs[0].restarted_at is not None
    assert plan.debits.get().status == "charged" and SandboxCharge.objects.count() == 1
    auto = JobRun.objects.filter(job="run_autopay").order_by("pk")
    assert [(r.status, r.parent_id) for r in auto] == [
        ("interrupted", runs[0].pk),
        ("finished", runs[1].pk),
    ]
    assert (auto[1].due, auto[1].charged) == (1, 1)


def test_a_live_run_is_not_started_twice_and_a_failed_one_is(linked_loan):
    wall = timezone.now()
    run = JobRun.objects.create(
        job="run_daily",
        business_date=RUN_DAY,
        scope="America/New_York",
        started_at=wall,
        holder=leases.identity(),
        heartbeat_at=wall,
    )
    assert not jobruns.may_start("run_daily", RUN_DAY, "America/New_York")
    JobRun.objects.filter(pk=run.pk).update(status="failed", error="boom")
    assert jobruns.may_start("run_daily", RUN_DAY, "America/New_York")


# --- the sweep: stuck payments, one sweep per payment ---------------------------------------------
def _stuck_web_payment(linked_loan, card, borrower, *, monkeypatch, reached_processor: bool):
    """A pay-now whose web process died during the processor call."""
    from payments.gateways.sandbox import SandboxGateway
    from payments.services import new_idempotency_key, payment_submit

    real_charge = SandboxGateway.charge

    def charge(self, request):
        if reached_processor:
            real_charge(self, request)
        raise Killed

    with monkeypatch.context() as m:
        m.setattr(SandboxGateway, "charge", charge)
        with pytest.raises(Killed):
            payment_submit(
                loan_id=linked_loan.pk,
                method=card,
                amount=Decimal("300.00"),
                idempotency_key=new_idempotency_key(),
                payer=borrower,
                payer_email=borrower.email,
            )
    return Payment.objects.get()


def _age_claim(payment, seconds: int) -> None:
    then = timezone.now() - dt.timedelta(seconds=seconds)
    Payment.objects.filter(pk=payment.pk).update(submitted_at=then, updated_at=then)


def test_a_payment_stuck_in_submitting_is_recovered_after_60_seconds_not_before(
    linked_loan, add_card, borrower, monkeypatch
):
    payment = _stuck_web_payment(
        linked_loan,
        add_card("4242424242424242"),
        borrower,
        monkeypatch=monkeypatch,
        reached_processor=True,
    )
    assert (payment.status, payment.submitted_at is not None) == ("submitting", True)
    _age_claim(payment, 55)
    assert recovery_sweep() == {}
    _age_claim(payment, 61)
    assert recovery_sweep() == {"payment_posted": 1, "notices_resent": 1}  # and its receipt
    payment.refresh_from_db()
    assert payment.status == "posted" and SandboxCharge.objects.count() == 1
    assert linked_loan.postings.filter(kind="payment").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("reached_processor", [True, False])
def test_two_sweeps_at_once_recover_a_stuck_payment_once(
    reached_processor, linked_loan, add_card, borrower, monkeypatch
):
    from payments.gateways.sandbox import SandboxGateway

    payment = _stuck_web_payment(
        linked_loan,
        add_card("4242424242424242"),
        borrower,
        monkeypatch=monkeypatch,
        reached_processor=reached_processor,
    )
    _age_claim(payment, 120)
    asked, charged = [], []
    real_fetch, real_charge = SandboxGateway.fetch_charge, SandboxGateway.charge

    def fetch(self, key):
        asked.append(key)
        time.sleep(0.5)  # a slow processor widens the race
        return real_fetch(self, key)

    def charge(self, request):
        charged.append(request.idempotency_key)
        return real_charge(self, request)

    monkeypatch.setattr(SandboxGateway, "fetch_charge", fetch)
    monkeypatch.setattr(SandboxGateway, "charge", charge)
    both = threading.Barrier(2)

    def sweep(_):
        try:
            both.wait()
            return recovery_sweep()
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(sweep, range(2)))
    assert asked == [payment.idempotency_key]  # asked once, by one sweep
    assert charged == ([] if reached_processor else [payment.idempotency_key])  # same key
    assert sorted(r.get("payment_posted", 0) for r in results) == [0, 1]
    payment.refresh_from_db()
    assert payment.status == "posted" and SandboxCharge.objects.count() == 1
    recovery = PaymentEvent.objects.filter(payment=payment, actor_label="system:recovery")
    assert list(recovery.values_list("to_status", flat=True)) == ["posted"]
    assert linked_loan.postings.filter(kind="payment").count() == 1


def test_the_sweep_is_one_task_on_beat_every_minute(settings):
    sweeps = {
        name: entry
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if "recover" in entry["task"] or "sweep" in entry["task"]
    }
    assert sweeps == {
        "recover-stuck-payments": {
            "task": "payments.tasks.recover_stuck_payments",
            "schedule": 60.0,
        }
    }
    from ismartpay.celery import app

    assert "autopay.sweep" not in app.tasks


# --- finding 7: the run's business date ---------------------------------------------------------
def test_a_catch_up_run_daily_for_an_earlier_date_counts_the_payment_on_that_date(
    linked_loan, add_card, enroll, client, borrower
):
    enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    with time_machine.travel(dt.datetime(2026, 12, 8, 10, 0, tzinfo=NY), tick=False):
        client.force_login(borrower)
        call_command("run_daily", "--date", "2026-12-04")  # the Dec 4 night, run on Dec 8
        payment = Payment.objects.get(source="autopay")
        assert (payment.effective_date, payment.scheduled_for) == (RUN_DAY, RUN_DAY)
        posting = linked_loan.postings.get(kind="payment")
        assert posting.effective_date == RUN_DAY
        detail = client.get(f"/payments/p/{payment.reference}/").content.decode()
        history = client.get("/payments/history/").content.decode()
    assert "Counts on</dt><dd>Friday, Dec 4, 2026" in detail and "Dec 8, 2026" not in detail
    assert "Dec 4, 2026" in history and "Dec 8, 2026" not in history


# --- the charge gate's refusal is a refusal, not "pending" --------------------------------------
def _changes_before_the_gate(monkeypatch, before):
    """`before()` runs once the chunk is claimed, right before the set path locks the loans and
    runs the charge gate (batch.prepare)."""
    real = batch.prepare

    def prepare(*args, **kwargs):
        before()
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "prepare", prepare)


def test_a_loan_paid_off_after_the_claim_skips_the_debit_and_ends_the_plan(
    linked_loan, add_card, enroll, monkeypatch
):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))

    def pay_off():
        type(linked_loan).objects.filter(pk=linked_loan.pk).update(status="paid_off")

    _changes_before_the_gate(monkeypatch, pay_off)
    result = jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY))
    assert (result["charged"], result["skipped"], result["failed"], result["pending"]) == (
        0,
        1,
        0,
        0,
    )
    debit = plan.debits.get()
    plan.refresh_from_db()
    assert (debit.status, debit.reason, plan.status) == ("skipped", "loan is paid off", "ended")
    assert SandboxCharge.objects.count() == 0
    assert Payment.objects.count() == 0


def test_a_gate_refusal_for_a_removed_method_fails_the_debit_and_suspends_the_plan(
    linked_loan, add_card, enroll, monkeypatch
):
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    reason = "Visa •••• 4242 can no longer be used. Choose another method."

    def remove():
        type(plan.method).objects.filter(pk=plan.method_id).update(removed_at=timezone.now())

    _changes_before_the_gate(monkeypatch, remove)
    result = jobs.run_autopay(on=RUN_DAY, now=at(RUN_DAY))
    assert (result["failed"], result["pending"]) == (1, 0)
    debit = plan.debits.get()
    plan.refresh_from_db()
    assert (debit.status, debit.reason, plan.status) == ("failed", reason, "suspended")
    assert (debit.attempts, debit.idempotency_key) == (1, f"autopay:{plan.pk}:20261205:1")
    assert SandboxCharge.objects.count() == 0 and Payment.objects.count() == 0
    failed = [m for m in mail.outbox if "didn't go through" in m.subject]
    assert len(failed) == 1 and reason in failed[0].body


# --- the admin shows a killed run as interrupted -------------------------------------------------
def test_the_job_runs_admin_shows_a_run_without_heartbeat_as_interrupted(client):
    from django.contrib.auth.models import Permission
    from django_otp import DEVICE_ID_SESSION_KEY
    from factories import UserFactory, totp_device_for

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_jobrun"))
    device = totp_device_for(staff)
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    wall = timezone.now()
    for holder, beat in ((leases.identity(), wall), (ELSEWHERE, wall - dt.timedelta(minutes=2))):
        JobRun.objects.create(
            job="run_daily",
            business_date=RUN_DAY,
            started_at=wall,
            holder=holder,
            heartbeat_at=beat,
        )
    page = client.get("/admin/payments/jobrun/").content.decode()
    cells = re.findall(r'<td class="field-run_status">([^<]*)</td>', page)
    assert sorted(cells) == ["Interrupted (no heartbeat)", "Running"]
