"""Paths removed as dead or divergent (issue 12) stay removed: the nightly work runs only
through jobs.run_daily_due -> jobs.run_daily (with its JobRun), and a reversal only through
loans.services.loan_reverse_posting."""

from django.conf import settings

from ismartpay.celery import app
from loans import allocation, delinquency
from payments import tasks
from payments.autopay import services as autopay_services
from payments.autopay import tasks as autopay_tasks


def test_the_beat_schedule_runs_only_the_daily_runner_and_the_recovery_sweep():
    scheduled = sorted(entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values())
    assert scheduled == ["jobs.run_daily_due", "payments.tasks.recover_stuck_payments"]


def test_no_unscheduled_per_job_task_or_second_settlement_task_is_registered():
    app.loader.import_default_modules()
    names = set(app.tasks)
    gone = {"jobs.send_reminders", "jobs.assess_late_fees", "jobs.card_expiry_notices"}
    assert names & gone == set()
    assert not hasattr(tasks, "settle_payments_task")
    assert {"jobs.run_daily", "jobs.run_daily_due", "autopay.run", "autopay.charge_chunk"} <= names
    assert not hasattr(autopay_tasks, "send_reminders_task")


def test_the_nightly_job_tasks_live_with_the_jobs_not_in_the_autopay_slice():
    app.loader.import_default_modules()
    assert app.tasks["jobs.run_daily"].__module__ == "payments.tasks"
    assert app.tasks["jobs.run_daily_due"].__module__ == "payments.tasks"
    assert app.tasks["autopay.run"].__module__ == "payments.autopay.tasks"
    assert not hasattr(autopay_tasks, "run_daily_task")
    assert not hasattr(autopay_tasks, "run_daily_due")


def test_no_second_copy_of_the_payoff_the_due_count_or_the_reversal():
    assert not hasattr(autopay_services, "payoff_now")
    assert not hasattr(delinquency, "installments_due_count")
    assert not hasattr(allocation, "reverse")


def test_no_re_export_shim_module_is_left_in_payments():
    from pathlib import Path

    import payments

    root = Path(payments.__file__).parent
    shims = [
        "forms_activity.py",
        "forms_autopay.py",
        "forms_guest.py",
        "forms_history.py",
        "forms_methods.py",
        "forms_staff_money.py",
        "urls_more.py",
        "urls_autopay.py",
        "admin_autopay.py",
        "views/autopay.py",
    ]
    assert [name for name in shims if (root / name).exists()] == []
