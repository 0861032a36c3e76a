"""Issue 13, "Collections": days-past-due buckets stored by the nightly run, the staff queue,
contact notes and promises to pay (kept or broken from the postings, reminded once), with
their permissions (support agent vs supervisor) and audit rows."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory, LoanLinkFactory
from staff_helpers import NOW, make_staff, staff_client

from accounts.models import AuditEvent
from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans import delinquency
from loans.collections import CollectionsError, collections_run, promise_add
from loans.models import ContactNote, DelinquencySnapshot, PromiseToPay
from loans.schedule import amortization_schedule
from loans.services import loan_post_payment, loan_reverse_posting
from payments import jobs
from payments.models import JobRun, Notice

pytestmark = pytest.mark.django_db

INSTALLMENT = Decimal("483.32")  # $25,000 at 6 % for 60 months
PAID_9 = amortization_schedule(Decimal("25000.00"), Decimal("6.00"), 60, dt.date(2026, 2, 5), 5)[
    8
].balance_after
NOV_24, NOV_28 = dt.date(2026, 11, 24), dt.date(2026, 11, 28)
DEC_1, DEC_2, DEC_5 = dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 5)


def late_loan(**extra):
    """Installments 1-9 paid; installment 10 (due Nov 5, 2026) is not."""
    return LoanFactory(
        principal_balance=PAID_9,
        interest_accrued_through=dt.date(2026, 10, 5),
        paid_toward_installments=9 * INSTALLMENT,
        **extra,
    )


def current_loan(**extra):
    """Installments 1-10 paid: current until Dec 5, 2026."""
    return LoanFactory(
        principal_balance=Decimal("21335.10"),
        interest_accrued_through=dt.date(2026, 11, 5),
        paid_toward_installments=10 * INSTALLMENT,
        **extra,
    )


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "current"),
        (1, "1-29"),
        (29, "1-29"),
        (30, "30-59"),
        (59, "30-59"),
        (60, "60-89"),
        (89, "60-89"),
        (90, "90+"),
        (400, "90+"),
    ],
)
def test_bucket_edges(days, bucket):
    assert delinquency.dpd_bucket(days) == bucket


@pytest.mark.parametrize(
    ("on", "days", "bucket"),
    [
        (dt.date(2026, 11, 5), 0, "current"),  # the due date itself
        (dt.date(2026, 11, 6), 1, "1-29"),
        (dt.date(2026, 12, 4), 29, "1-29"),
        (DEC_5, 30, "30-59"),
        (dt.date(2027, 1, 3), 59, "30-59"),
        (dt.date(2027, 1, 4), 60, "60-89"),
        (dt.date(2027, 2, 2), 89, "60-89"),
        (dt.date(2027, 2, 3), 90, "90+"),
    ],
)
def test_the_nightly_step_stores_days_past_due_from_the_oldest_unpaid_installment(on, days, bucket):
    loan = late_loan()

    collections_run(on=on)

    row = DelinquencySnapshot.objects.get(loan=loan)
    assert (row.business_date, row.days_past_due, row.bucket) == (on, days, bucket)


def test_the_collections_job_stores_one_row_per_loan_and_date_however_often_it_runs():
    late, current = late_loan(), current_loan()

    first = jobs.collections(on=DEC_5)
    again = jobs.collections(on=DEC_5)

    rows = DelinquencySnapshot.objects.order_by("loan_id").values_list(
        "loan_id", "business_date", "days_past_due", "bucket", "amount_past_due"
    )
    assert list(rows) == [
        (late.pk, DEC_5, 30, "30-59", INSTALLMENT),  # installment 11 (due Dec 5) not yet late
        (current.pk, DEC_5, 0, "current", Decimal("0.00")),
    ]
    assert first["due"] == again["due"] == 2
    assert first["charged"] == again["charged"] == 1  # loans past due
    assert first["30-59"] == 1 and first["current"] == 1
    runs = JobRun.objects.filter(job="collections", business_date=DEC_5)
    assert [(r.status, r.due, r.charged) for r in runs] == [("finished", 2, 1)] * 2


def test_run_daily_runs_the_collections_step_after_late_fees():
    late_loan()
    with time_machine.travel(dt.datetime(2026, 12, 5, 11, tzinfo=dt.UTC), tick=False):
        out = jobs.run_daily(on=DEC_5)
    assert list(out) == [
        "settle_payments",
        "scheduled_payments",
        "run_autopay",
        "assess_late_fees",
        "collections",
        "send_reminders",
        "card_expiry_notices",
        "statements",
    ]
    assert DelinquencySnapshot.objects.get().bucket == "30-59"


def _pay(loan, amount, on, key):
    return loan_post_payment(
        loan_id=loan.pk, amount=Decimal(amount), effective_date=on, idempotency_key=key
    )


def test_a_promise_is_kept_when_payments_since_it_reach_the_amount():
    loan = late_loan()
    staff = make_staff(SUPPORT_AGENT)
    promise = promise_add(
        loan_id=loan.pk, promised_date=DEC_1, amount=INSTALLMENT, actor=staff, on=NOV_24
    )
    _pay(loan, "200.00", NOV_24, "p1")
    collections_run(on=dt.date(2026, 11, 25))
    promise.refresh_from_db()
    assert promise.status == "open"  # $200 of $483.32 so far, date not passed

    _pay(loan, "283.32", NOV_28, "p2")
    collections_run(on=dt.date(2026, 11, 29))

    promise.refresh_from_db()
    assert (promise.status, promise.paid_amount, promise.resolved_on) == (
        "kept",
        INSTALLMENT,
        dt.date(2026, 11, 29),
    )


def test_a_promise_is_broken_the_day_after_its_date_when_the_postings_fall_short():
    loan = late_loan()
    staff = make_staff(SUPPORT_AGENT)
    _pay(loan, "483.32", dt.date(2026, 11, 20), "before")  # before the promise: not counted
    promise = promise_add(
        loan_id=loan.pk, promised_date=DEC_1, amount=INSTALLMENT, actor=staff, on=NOV_24
    )
    _pay(loan, "100.00", NOV_28, "p1")
    returned = _pay(loan, "400.00", DEC_1, "p2")
    loan_reverse_posting(posting_id=returned.pk, reason="R01 insufficient funds")

    collections_run(on=DEC_1)
    promise.refresh_from_db()
    assert promise.status == "open"  # its date: not broken yet
    collections_run(on=DEC_2)
    collections_run(on=DEC_2)

    promise.refresh_from_db()
    assert (promise.status, promise.paid_amount, promise.resolved_on) == (
        "broken",
        Decimal("100.00"),
        DEC_2,
    )


def test_one_open_promise_per_loan_and_none_in_the_past():
    loan = late_loan()
    staff = make_staff(SUPPORT_AGENT)
    promise_add(loan_id=loan.pk, promised_date=DEC_1, amount=INSTALLMENT, actor=staff, on=NOV_24)
    with pytest.raises(CollectionsError, match="already has an open promise"):
        promise_add(
            loan_id=loan.pk, promised_date=DEC_2, amount=INSTALLMENT, actor=staff, on=NOV_24
        )
    with pytest.raises(CollectionsError, match="past"):
        promise_add(
            loan_id=current_loan().pk,
            promised_date=dt.date(2026, 11, 23),
            amount=INSTALLMENT,
            actor=staff,
            on=NOV_24,
        )
    assert PromiseToPay.objects.count() == 1


def test_the_borrower_is_reminded_of_a_promise_once_two_days_before(borrower, mailoutbox):
    loan = late_loan()
    LoanLinkFactory(user=borrower, loan=loan)
    promise_add(
        loan_id=loan.pk,
        promised_date=DEC_1,
        amount=INSTALLMENT,
        actor=make_staff(SUPPORT_AGENT),
        on=NOV_24,
    )
    sent = []
    for day in (NOV_28, dt.date(2026, 11, 29), dt.date(2026, 11, 29), dt.date(2026, 11, 30)):
        sent.append(jobs.send_reminders(on=day)["promise_reminders"])

    assert sent == [0, 1, 0, 0]
    notices = Notice.objects.filter(kind="reminder_promise")
    assert [(n.recipient, n.subject) for n in notices] == [
        (borrower.email, "Reminder: your payment of $483.32 by Dec 1")
    ]
    assert "you arranged to pay $483.32 on loan" in notices[0].body


# --- the admin: queue, permissions and audit rows -----------------------------------------------
@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_queue_lists_past_due_loans_by_bucket_with_contact_and_promise(frozen):
    late = late_loan()
    current_loan(loan_number="CUR-1")
    agent = make_staff(SUPPORT_AGENT)
    collections_run(on=NOV_24)
    ContactNote.objects.create(
        loan=late, channel="call", outcome="promised", text="Will pay Dec 1", author=agent
    )
    promise_add(loan_id=late.pk, promised_date=DEC_1, amount=INSTALLMENT, actor=agent, on=NOV_24)

    client = staff_client(agent)
    page = client.get("/admin/loans/delinquencysnapshot/").content.decode()
    filtered = client.get("/admin/loans/delinquencysnapshot/?bucket=30-59").content.decode()

    assert late.loan_number in page and "CUR-1" not in page
    assert "1–29 days" in page and "$483.32 by 2026-12-01" in page
    assert "(Promise to pay)" in page
    assert late.loan_number not in filtered
    by_lender = client.get(
        f"/admin/loans/delinquencysnapshot/?loan__lender__id__exact={late.lender_id}"
    )
    assert late.loan_number in by_lender.content.decode()


def test_an_agent_adds_a_note_and_a_promise_each_audited(frozen):
    loan = late_loan()
    agent = make_staff(SUPPORT_AGENT)
    client = staff_client(agent)

    note = client.post(
        "/admin/loans/contactnote/add/",
        {
            "loan_number": loan.loan_number,
            "channel": "call",
            "outcome": "promised",
            "text": "Will pay Dec 1",
        },
    )
    promise = client.post(
        "/admin/loans/promisetopay/add/",
        {"loan_number": loan.loan_number, "promised_date": "2026-12-01", "amount": "483.32"},
    )

    assert (note.status_code, promise.status_code) == (302, 302)
    assert list(ContactNote.objects.values_list("channel", "outcome", "text", "author")) == [
        ("call", "promised", "Will pay Dec 1", agent.pk)
    ]
    assert list(PromiseToPay.objects.values_list("promised_date", "amount", "created_on")) == [
        (DEC_1, INSTALLMENT, NOV_24)
    ]
    audit = AuditEvent.objects.filter(action__startswith="collections.").order_by("pk")
    assert [(a.action, a.actor_id, a.target_id) for a in audit] == [
        ("collections.note_add", agent.pk, str(loan.pk)),
        ("collections.promise_add", agent.pk, str(loan.pk)),
    ]


def test_a_second_open_promise_is_refused_on_the_form(frozen):
    loan = late_loan()
    client = staff_client(make_staff(SUPERVISOR))
    data = {"loan_number": loan.loan_number, "promised_date": "2026-12-01", "amount": "483.32"}
    client.post("/admin/loans/promisetopay/add/", data)
    response = client.post("/admin/loans/promisetopay/add/", data)
    assert response.status_code == 200
    assert "already has an open promise" in response.content.decode()
    assert PromiseToPay.objects.count() == 1


def test_notes_are_append_only_and_plain_staff_cannot_add_them(frozen):
    loan = late_loan()
    agent = make_staff(SUPPORT_AGENT)
    note = ContactNote.objects.create(
        loan=loan, channel="sms", outcome="sent", text="Reminder texted", author=agent
    )
    agent_client = staff_client(agent)
    plain = staff_client(make_staff())

    edit = agent_client.post(f"/admin/loans/contactnote/{note.pk}/change/", {"text": "changed"})
    delete = agent_client.post(f"/admin/loans/contactnote/{note.pk}/delete/", {"post": "yes"})
    add = plain.post(
        "/admin/loans/contactnote/add/",
        {"loan_number": loan.loan_number, "channel": "call", "outcome": "reached", "text": "hello"},
    )

    assert edit.status_code in (302, 403) and delete.status_code == 403 and add.status_code == 403
    note.refresh_from_db()
    assert note.text == "Reminder texted"
    assert ContactNote.objects.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="collections.").exists()
