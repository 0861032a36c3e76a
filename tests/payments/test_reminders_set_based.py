"""The nightly reminders, set-based (payments/reminder_run.py): a chunk of loans is decided in
one query plus the pure rule, written once per dedupe key, delivered as one batch."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.core import mail
from factories import LoanFactory, LoanLinkFactory, UserFactory

from accounts.models import Profile
from loans.collections import flags_by_loan
from loans.models import AccountFlag, Loan, LoanLink
from payments import jobs, reminder_run
from payments.models import AutopayPlan, Notice
from payments.notices_batch import notices_write
from payments.reminders import Owner, loan_reminders, owner_links

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 12, 2)  # Dec 5 is due: 3 days ahead, the default window


def _due_loan(installments_paid: int = 10, **kwargs) -> Loan:
    """A loan (first due Feb 5, 2026) with `installments_paid` installments covered and one
    owner; 10 paid: next due Dec 5, 2026."""
    loan = LoanFactory(**kwargs)
    loan.paid_toward_installments = loan.installment_amount * installments_paid
    loan.save(update_fields=["paid_toward_installments"])
    LoanLinkFactory(loan=loan)
    return loan


def _keys() -> list[str]:
    return sorted(Notice.objects.values_list("dedupe_key", flat=True))


def test_a_run_twice_sends_the_same_notices_once():
    due, late = _due_loan(), _due_loan(installments_paid=8)
    jobs.send_reminders(on=ON)
    first = _keys()
    jobs.send_reminders(on=ON)
    assert (
        _keys()
        == first
        == sorted(
            [
                f"reminder:{due.pk}:due:2026-12-05:{due.links.get().user_id}",
                f"reminder:{late.pk}:past_due:2026-10-05:{late.links.get().user_id}",
            ]
        )
    )
    assert sorted(m.subject for m in mail.outbox) == [
        "Your loan payment is past due",
        f"Your payment of ${due.installment_amount:,} is due Dec 5",
    ]
    assert Notice.objects.filter(sent_at__isnull=False, attempts=1).count() == 2


def test_a_run_killed_after_writing_is_completed_by_the_next_run_once():
    loan = _due_loan()
    _, drafts = reminder_run.chunk_drafts(first=1, last=None, on=ON)
    notices_write(drafts)  # the run dies here: the row is written, nothing sent
    assert mail.outbox == [] and Notice.objects.get().claimed_at is None
    jobs.send_reminders(on=ON)
    jobs.send_reminders(on=ON)
    notice = Notice.objects.get()
    assert notice.dedupe_key.startswith(f"reminder:{loan.pk}:due:2026-12-05:")
    assert (notice.attempts, len(mail.outbox)) == (1, 1)


def test_a_chunk_boundary_neither_skips_nor_doubles_a_loan():
    loans = [_due_loan() for _ in range(5)]
    bounds = list(reminder_run.chunk_bounds(2))
    ids = [loan.pk for loan in loans]
    assert bounds == [(1, ids[1]), (ids[1] + 1, ids[3]), (ids[3] + 1, None)]  # the last open
    counts = jobs.send_reminders(on=ON)  # the default chunk: the same notices
    keys = _keys()
    Notice.objects.all().delete()
    chunked: Counter = Counter()
    reminder_run.reminders_run(on=ON, counts=chunked, size=2)
    assert _keys() == keys
    assert sorted(int(k.split(":")[1]) for k in keys) == ids  # each loan once
    assert (counts["due"], counts["charged"]) == (5, 5)
    assert (chunked["due"], chunked["charged"]) == (5, 5)


@pytest.mark.parametrize("size", [3, 30])
def test_statements_per_chunk_do_not_grow_with_its_loans(size, django_assert_max_num_queries):
    for _ in range(size):
        _due_loan()
    with django_assert_max_num_queries(9):  # links, lenders, plans, flags, payments on the
        # way, known keys, insert (in a savepoint: 2 more), claim, mark sent
        counts = reminder_run.reminders_chunk(first=1, last=None, on=ON)
    assert (counts["due"], counts["charged"]) == (size, size)
    assert len(mail.outbox) == size


def _one_by_one(on: dt.date) -> list[str]:
    """Every open loan through the rule, one at a time (what the job did before)."""
    keys = []
    plans = {p.loan_id: p for p in AutopayPlan.objects.filter(status=AutopayPlan.Status.ACTIVE)}
    flag_map = flags_by_loan()
    for loan in Loan.objects.filter(status__in=reminder_run.OPEN_LOAN):
        owners = [Owner.of(link.user) for link in owner_links(loan)]
        drafts = loan_reminders(loan, owners, plans.get(loan.pk), on, flag_map.get(loan.pk, ()))
        keys += [d.dedupe_key for d in drafts]
    return sorted(keys)


def test_the_sql_bound_never_drops_a_loan_the_rule_would_remind():
    """Due days 1, 28–31 (clamped in short months), every reminder window, email reminders off,
    no profile, a co-borrower, a deceased flag: for every day over five months, the chunk's
    selection decides exactly what the rule decides for every open loan."""
    staff = UserFactory()
    contracts = [
        (1, dt.date(2026, 2, 1)),
        (5, dt.date(2026, 2, 5)),
        (28, dt.date(2026, 2, 28)),
        (29, dt.date(2026, 2, 28)),
        (30, dt.date(2026, 2, 28)),
        (31, dt.date(2026, 2, 28)),
    ]
    loans = []
    for n, (due_day, first) in enumerate(contracts):
        for paid in (9, 10, 11):
            loans.append(_due_loan(paid, due_day=due_day, first_due_date=first))
            user = loans[-1].links.get().user
            if n % 3 == 1:
                Profile.objects.update_or_create(user=user, defaults={"remind_days_before": 14})
            elif n % 3 == 2:
                Profile.objects.update_or_create(user=user, defaults={"remind_by_email": False})
    co = UserFactory()
    LoanLink.objects.create(loan=loans[4], user=co, role=LoanLink.Role.CO_BORROWER)
    Profile.objects.update_or_create(user=co, defaults={"remind_days_before": 7})
    AccountFlag.objects.create(
        loan=loans[7], kind="deceased", start_date=dt.date(2026, 12, 20), reason="x", set_by=staff
    )
    checked = 0
    day = dt.date(2026, 11, 15)
    while day <= dt.date(2027, 4, 15):
        _, drafts = reminder_run.chunk_drafts(first=1, last=None, on=day)
        expected = _one_by_one(day)
        assert sorted(d.dedupe_key for d in drafts) == expected, day
        checked += len(expected)
        day += dt.timedelta(days=1)
    assert checked > 1000  # the days were not all empty


def test_the_late_installment_amount_and_the_owner_preferences_are_unchanged():
    loan = _due_loan(installments_paid=10, unpaid_fees=Decimal("0.00"))
    Profile.objects.update_or_create(
        user=loan.links.get().user, defaults={"remind_by_email": False}
    )
    assert jobs.send_reminders(on=ON)["charged"] == 0
    assert jobs.send_reminders(on=dt.date(2026, 12, 6))["charged"] == 1  # past due still goes
    assert Notice.objects.get().kind == "reminder_past_due"


def test_fanned_out_each_chunk_is_one_task_and_sends_the_same_notices(monkeypatch):
    loans = [_due_loan() for _ in range(3)]
    monkeypatch.setattr(reminder_run, "CHUNK", 2)
    calls = []
    from payments import tasks

    real = tasks.reminders_chunk_task.delay
    monkeypatch.setattr(tasks.reminders_chunk_task, "delay", lambda *a: calls.append(a) or real(*a))
    counts = jobs.send_reminders(on=ON, fan_out=True)  # tests run tasks eagerly
    assert counts["chunks_dispatched"] == 2
    assert calls == [
        (1, loans[1].pk, "2026-12-02", None),
        (loans[1].pk + 1, None, "2026-12-02", None),
    ]
    assert sorted(int(k.split(":")[1]) for k in _keys()) == [loan.pk for loan in loans]
    assert len(mail.outbox) == 3
