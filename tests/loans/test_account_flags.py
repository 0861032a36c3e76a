"""Issue 13, "Collections" — account flags change what the nightly jobs do (loans/flags.py):
hardship pauses late fees and past-due notices, SCRA caps interest at 6 % for its days,
bankruptcy stops autopay and collection notices (the borrower may still pay), deceased stops
every notice and autopay. Flags are set and ended by supervisors only, each audited."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from factories import LoanFactory, LoanLinkFactory
from staff_helpers import NOW, form_token, make_staff, staff_client

from accounts.models import AuditEvent
from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans import flags
from loans.collections import account_flag_end, account_flag_set
from loans.models import AccountFlag, Loan, LoanPosting, StaffRequest
from loans.schedule import amortization_schedule
from loans.selectors import loan_balances_on
from loans.services import loan_post_payment
from loans.staff_requests import staff_request_approve
from payments import jobs
from payments.models import AutopayDebit, Notice, Payment
from payments.services import new_idempotency_key, payment_submit

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
INSTALLMENT = Decimal("483.32")
PAID_9 = amortization_schedule(Decimal("25000.00"), Decimal("6.00"), 60, dt.date(2026, 2, 5), 5)[
    8
].balance_after
REASON = "Borrower documented the situation by phone"


def late_loan(borrower):
    """Installments 1-9 paid; installment 10 (due Nov 5, 2026) is not; linked to `borrower`."""
    loan = LoanFactory(
        principal_balance=PAID_9,
        interest_accrued_through=dt.date(2026, 10, 5),
        paid_toward_installments=9 * INSTALLMENT,
    )
    LoanLinkFactory(user=borrower, loan=loan)
    return loan


def flag(loan, kind, start, end=None):
    return account_flag_set(
        loan_id=loan.pk,
        kind=kind,
        start_date=start,
        end_date=end,
        reason=REASON,
        actor=make_staff(SUPERVISOR),
    )


def notices(loan_id=None):
    return sorted(Notice.objects.values_list("kind", flat=True))


def late_fees(loan):
    return list(
        LoanPosting.objects.filter(loan=loan, kind="late_fee")
        .order_by("pk")
        .values_list("installment_number", "effective_date", "fees")
    )


def test_the_flag_rules():
    hardship = flags.FlagPeriod("hardship", dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    bankrupt = flags.FlagPeriod("bankruptcy", dt.date(2026, 11, 10))
    on, after = dt.date(2026, 11, 30), dt.date(2026, 12, 1)
    assert flags.late_fees_paused([hardship], on) and not flags.late_fees_paused([hardship], after)
    assert flags.collection_notices_paused([hardship], on)
    assert not flags.notices_paused([hardship, bankrupt], on)
    assert flags.autopay_paused([hardship, bankrupt], after) == "account flag: bankruptcy"
    assert flags.autopay_paused([hardship], on) == ""
    military = flags.FlagPeriod("military", dt.date(2026, 11, 6), dt.date(2026, 12, 5))
    assert flags.apr_cap_periods([hardship, military]) == (
        flags.RateCap(dt.date(2026, 11, 6), dt.date(2026, 12, 5), Decimal("6.00")),
    )


# --- hardship ----------------------------------------------------------------------------------
def test_hardship_no_late_fee_and_no_past_due_notice_inside_the_range_fees_resume_after(borrower):
    loan = late_loan(borrower)
    flag(loan, "hardship", dt.date(2026, 11, 1), dt.date(2026, 12, 31))

    for day in (dt.date(2026, 11, 16), dt.date(2026, 12, 16), dt.date(2026, 12, 31)):
        jobs.assess_late_fees(on=day)
        jobs.send_reminders(on=day)
    assert late_fees(loan) == []
    assert notices() == []

    jobs.assess_late_fees(on=dt.date(2027, 1, 16))  # installment 12's first late-fee day
    jobs.send_reminders(on=dt.date(2027, 1, 16))

    # 10 and 11 went late during the hardship: never charged; 12 went late after it.
    assert late_fees(loan) == [(12, dt.date(2027, 1, 16), Decimal("-25.00"))]
    assert notices() == ["reminder_late_fee", "reminder_past_due"]


def test_without_a_flag_the_same_loan_gets_its_fee_and_notice(borrower):
    loan = late_loan(borrower)
    jobs.assess_late_fees(on=dt.date(2026, 11, 16))
    jobs.send_reminders(on=dt.date(2026, 11, 16))
    assert late_fees(loan) == [(10, dt.date(2026, 11, 16), Decimal("-25.00"))]
    assert notices() == ["reminder_late_fee", "reminder_past_due"]


# --- SCRA --------------------------------------------------------------------------------------
def scra_loan():
    """$20,000 at 18 %, interest accrued through Nov 5, 2026."""
    return LoanFactory(
        original_principal=Decimal("20000.00"),
        principal_balance=Decimal("20000.00"),
        apr_percent=Decimal("18.00"),
        interest_accrued_through=dt.date(2026, 11, 5),
    )


def test_scra_interest_for_a_30_day_window_is_6_percent_not_18_to_the_cent():
    capped, plain = scra_loan(), scra_loan()
    flag(capped, "military", dt.date(2026, 11, 6), dt.date(2026, 12, 5))

    on_dec_5 = [
        loan_post_payment(
            loan_id=loan.pk, amount=Decimal("500.00"), effective_date=dt.date(2026, 12, 5),
            idempotency_key=f"scra-{loan.pk}",
        )
        for loan in (capped, plain)
    ]  # fmt: skip

    # 30 days x $20,000 x 6 % / 365 = $98.63; at 18 %: $295.89
    assert [(p.interest_accrued, p.interest, p.principal) for p in on_dec_5] == [
        (Decimal("98.63"), Decimal("98.63"), Decimal("401.37")),
        (Decimal("295.89"), Decimal("295.89"), Decimal("204.11")),
    ]


def test_scra_cap_covers_only_the_flag_days_and_ending_it_early_restores_the_apr():
    loan = scra_loan()
    military = flag(loan, "military", dt.date(2026, 11, 6), None)
    account_flag_end(
        flag_id=military.pk, end_date=dt.date(2026, 12, 5), reason=REASON,
        actor=make_staff(SUPERVISOR),
    )  # fmt: skip
    loan.refresh_from_db()
    assert loan.rate_caps == [{"start": "2026-11-06", "end": "2026-12-05", "apr": "6.00"}]

    # 30 days at 6 % + 10 days at 18 %: $20,000 x (180 + 180) / 36,500 = $197.26
    assert loan_balances_on(loan, dt.date(2026, 12, 15)).interest == Decimal("197.26")


def test_scra_pauses_late_fees(borrower):
    loan = late_loan(borrower)
    flag(loan, "military", dt.date(2026, 11, 1))
    jobs.assess_late_fees(on=dt.date(2026, 11, 16))
    assert late_fees(loan) == []


# --- bankruptcy and deceased: autopay and notices ----------------------------------------------
@pytest.fixture
def autopay_loan(linked_loan, add_card, borrower, settings):
    """linked_loan (current; installment 11 due Sat Dec 5 → debit Fri Dec 4) on monthly autopay."""
    from payments.autopay import schedule as sched
    from payments.autopay.services import autopay_enroll

    settings.AUTOPAY_CHARGE_CONCURRENCY = 1
    now = dt.datetime(2026, 11, 24, 9, tzinfo=NY)
    autopay_enroll(
        user=borrower, loan_id=linked_loan.pk, method=add_card("4242424242424242"),
        terms=sched.PlanTerms(
            schedule="monthly_due", amount_rule="installment", start_date=now.date()
        ),
        ip_address="203.0.113.9", user_agent="pytest", now=now,
    )  # fmt: skip
    Notice.objects.all().delete()  # the enrolment's own email is not what these tests check
    return linked_loan


def _autopay(day):
    with time_machine.travel(dt.datetime(day.year, day.month, day.day, 6, tzinfo=NY), tick=False):
        return jobs.run_autopay(on=day, now=dt.datetime(day.year, day.month, day.day, 6, tzinfo=NY))


def test_bankruptcy_skips_the_autopay_debit_with_the_reason_and_sends_no_past_due_notice(
    autopay_loan, borrower, add_card
):
    flag(autopay_loan, "bankruptcy", dt.date(2026, 11, 24))

    result = _autopay(dt.date(2026, 12, 4))
    jobs.send_reminders(on=dt.date(2026, 12, 10))

    debit = AutopayDebit.objects.get()
    assert (debit.status, debit.reason, debit.idempotency_key) == (
        "skipped",
        "account flag: bankruptcy",
        "",  # never submitted: no attempt key
    )
    assert result["skipped"] == 1 and result["charged"] == 0
    assert not Payment.objects.exists()
    assert notices() == []  # installment 11 is 5 days late: no past-due notice

    with time_machine.travel(dt.datetime(2026, 12, 10, 15, tzinfo=dt.UTC), tick=False):
        payment = payment_submit(
            loan_id=autopay_loan.pk, method=add_card("4242424242424242"), amount=INSTALLMENT,
            idempotency_key=new_idempotency_key(), payer=borrower, payer_email=borrower.email,
        )  # fmt: skip
    assert payment.status == "posted"
    assert Loan.objects.get(pk=autopay_loan.pk).paid_toward_installments == 11 * INSTALLMENT


def test_deceased_stops_every_notice_and_autopay(autopay_loan):
    flag(autopay_loan, "deceased", dt.date(2026, 11, 24))

    jobs.send_reminders(on=dt.date(2026, 12, 2))  # the due / autopay reminder window
    _autopay(dt.date(2026, 12, 4))
    jobs.send_reminders(on=dt.date(2026, 12, 10))
    jobs.assess_late_fees(on=dt.date(2026, 12, 16))
    jobs.send_reminders(on=dt.date(2026, 12, 16))

    debit = AutopayDebit.objects.get()
    assert (debit.status, debit.reason) == ("skipped", "account flag: deceased")
    assert not Payment.objects.exists()
    assert notices() == []
    assert late_fees(autopay_loan) == [(11, dt.date(2026, 12, 16), Decimal("-25.00"))]


def test_the_autopay_reminder_still_goes_out_without_a_flag(autopay_loan):
    jobs.send_reminders(on=dt.date(2026, 12, 2))
    assert notices() == ["reminder_autopay"]


# --- admin: permissions and audit --------------------------------------------------------------
@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_supervisor_sets_and_ends_a_flag_each_audited_an_agent_cannot(frozen, linked_loan):
    supervisor, approver, agent = (make_staff(r) for r in (SUPERVISOR, SUPERVISOR, SUPPORT_AGENT))
    data = {
        "loan_number": linked_loan.loan_number,
        "kind": "military",
        "start_date": "2026-11-06",
        "end_date": "",
        "reason": "Orders received, active duty",
        "submit_token": form_token(),
    }

    refused = staff_client(agent).post("/admin/loans/accountflag/add/", data)
    assert refused.status_code == 403
    assert not AccountFlag.objects.exists()

    # SCRA caps the rate: a second supervisor approves (test_account_flag_four_eyes.py).
    asked = staff_client(supervisor).post("/admin/loans/accountflag/add/", data)
    assert asked.status_code == 302 and not AccountFlag.objects.exists()
    staff_request_approve(
        request_id=StaffRequest.objects.get().pk, actor=approver, on=dt.date(2026, 11, 24)
    )
    military = AccountFlag.objects.get()
    assert (
        staff_client(agent)
        .post(
            f"/admin/loans/accountflag/{military.pk}/end/",
            {"end_date": "2026-12-05", "reason": "Released from duty"},
        )
        .status_code
        == 403
    )
    # Ending it early only restores the contract's rate: one supervisor alone.
    ended = staff_client(supervisor).post(
        f"/admin/loans/accountflag/{military.pk}/end/",
        {"end_date": "2026-12-05", "reason": "Released from duty"},
    )

    assert ended.status_code == 302
    military.refresh_from_db()
    assert (military.kind, military.start_date, military.end_date, military.ended_by_id) == (
        "military",
        dt.date(2026, 11, 6),
        dt.date(2026, 12, 5),
        supervisor.pk,
    )
    audit = AuditEvent.objects.filter(action__startswith="account_flag.").order_by("pk")
    assert [(a.action, a.actor_id, a.reason) for a in audit] == [
        (
            "account_flag.set",
            approver.pk,
            f"Orders received, active duty (approved by {approver.email})",
        ),
        ("account_flag.end", supervisor.pk, "Released from duty"),
    ]
    assert audit[1].details["before"] is None and audit[1].details["end"] == "2026-12-05"
    linked_loan.refresh_from_db()
    assert linked_loan.rate_caps == [{"start": "2026-11-06", "end": "2026-12-05", "apr": "6.00"}]


def test_a_flag_without_a_reason_or_ending_before_it_starts_is_refused(frozen, linked_loan):
    client = staff_client(make_staff(SUPERVISOR))
    base = {
        "loan_number": linked_loan.loan_number,
        "kind": "hardship",
        "start_date": "2026-11-24",
        "submit_token": form_token(),
    }
    short = client.post("/admin/loans/accountflag/add/", {**base, "reason": "short"})
    backwards = client.post(
        "/admin/loans/accountflag/add/", {**base, "end_date": "2026-11-01", "reason": REASON}
    )
    assert (short.status_code, backwards.status_code) == (200, 200)
    assert "before the start date" in backwards.content.decode()
    assert not AccountFlag.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="account_flag.").exists()
