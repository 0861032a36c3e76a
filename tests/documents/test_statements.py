"""Monthly statements: figures from the ledger to the cent, one per cycle, crash-safe job."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from factories import LoanFactory, LoanLinkFactory, UserFactory

from documents.models import PaperlessConsent, Statement
from documents.services import statement_make
from loans.fees import loan_waive_fee
from loans.models import LoanPosting
from loans.services import (
    loan_assess_late_fees,
    loan_post_payment,
    loan_reverse_posting,
)
from payments import jobs
from payments.models import JobRun

pytestmark = pytest.mark.django_db
D = Decimal
CLOSE_3 = dt.date(2026, 3, 15)  # installment 3 is due Apr 5; its cycle closes 21 days before


def _busy_period(loan):
    """Feb 13 – Mar 15: a late fee, a waiver, a payment, a payment reversed; one after."""
    (fee,) = loan_assess_late_fees(loan_id=loan.pk, on=dt.date(2026, 2, 16))
    loan_waive_fee(
        loan_id=loan.pk, amount=D("10.00"), reason="goodwill", actor=None, on=dt.date(2026, 2, 20)
    )
    loan_post_payment(
        loan_id=loan.pk, amount=D("500.00"), effective_date=dt.date(2026, 3, 2), idempotency_key="a"
    )
    second = loan_post_payment(
        loan_id=loan.pk,
        amount=D("300.00"),
        effective_date=dt.date(2026, 3, 10),
        idempotency_key="b",
    )
    loan_reverse_posting(posting_id=second.pk, reason="R01 returned")
    loan_post_payment(  # after the close: next cycle's
        loan_id=loan.pk,
        amount=D("100.00"),
        effective_date=dt.date(2026, 3, 20),
        idempotency_key="c",
    )
    return fee


def test_statement_figures_equal_the_ledger_for_the_period_to_the_cent():
    loan = LoanFactory()
    _busy_period(loan)

    statement, created = statement_make(loan_id=loan.pk, cycle_number=3, on=dt.date(2026, 3, 16))

    assert created
    assert (statement.period_start, statement.period_end) == (dt.date(2026, 2, 13), CLOSE_3)
    assert statement.due_date == dt.date(2026, 4, 5)
    # $500 on Mar 2: $15 fees (25 − 10 waived), 56 days' interest $230.14, $254.86 principal;
    # $300 on Mar 10 (interest $32.54, principal $267.46) was reversed on Mar 10.
    assert statement.payments_total == D("500.00")
    assert (statement.fees_paid, statement.interest_paid, statement.principal_paid) == (
        D("15.00"),
        D("230.14"),
        D("254.86"),
    )
    assert (statement.fees_assessed, statement.fees_waived) == (D("25.00"), D("10.00"))
    assert statement.interest_charged == D("262.68")
    assert (statement.principal_balance, statement.accrued_interest, statement.unpaid_fees) == (
        D("24745.14"),
        D("32.54"),
        D("0.00"),
    )
    # Paid toward installments at the close: $485.00; 2 installments due before Mar 15.
    assert statement.past_due_amount == D("481.64")  # 2 × 483.32 − 485.00
    assert statement.amount_due == D("964.96")  # 3 × 483.32 − 485.00, due Apr 5
    assert [line["label"] for line in statement.lines] == [
        "Late fee",
        "Fee waived",
        "Payment",
        "Payment",
        "Reversal of payment",
    ]
    # The same figures, straight from the ledger rows of the period.
    in_period = LoanPosting.objects.filter(
        loan=loan, effective_date__range=(statement.period_start, statement.period_end)
    )
    money = [p for p in in_period if p.kind in ("payment", "reversal")]
    assert sum(p.total for p in money) == statement.payments_total
    assert sum(p.interest_accrued for p in in_period) == statement.interest_charged
    last = in_period.order_by("-pk").first()
    assert (last.principal_balance_after, last.accrued_interest_after, last.unpaid_fees_after) == (
        statement.principal_balance,
        statement.accrued_interest,
        statement.unpaid_fees,
    )
    assert "past due by $481.64" in statement.message


def _paperless(user):
    PaperlessConsent.objects.create(
        user=user,
        disclosure_version="2026-01",
        disclosure_sha256="x" * 64,
        email=user.email,
        consented_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


def test_one_statement_per_cycle_even_when_the_job_runs_twice():
    link = LoanLinkFactory()
    _paperless(link.user)

    first = jobs.statements(on=dt.date(2026, 3, 16))
    second = jobs.statements(on=dt.date(2026, 3, 16))
    later = jobs.statements(on=dt.date(2026, 3, 30))  # same cycle, later night

    assert Statement.objects.filter(loan=link.loan).count() == 1
    assert Statement.objects.get(loan=link.loan).cycle_number == 3
    assert (first["charged"], second["charged"], later["charged"]) == (1, 0, 0)
    assert [m.subject for m in mail.outbox] == ["Your loan statement is ready"]
    assert JobRun.objects.filter(job="statements", status="finished").count() == 3


def test_a_statement_is_made_the_day_after_its_close_and_never_long_after():
    link = LoanLinkFactory()
    short = LoanFactory(term_months=2)  # its last cycle closed Feb 12

    jobs.statements(on=dt.date(2026, 1, 15))  # cycle 1 closes today: made tomorrow
    assert Statement.objects.count() == 0
    jobs.statements(on=dt.date(2026, 1, 16))
    jobs.statements(on=dt.date(2026, 4, 1))  # cycle 3 closed Mar 15; the short loan's is stale

    assert list(Statement.objects.values_list("loan_id", "cycle_number").order_by("pk")) == [
        (link.loan_id, 1),
        (short.pk, 1),
        (link.loan_id, 3),
    ]  # the short loan's cycle 2, closed Feb 12 (48 days before Apr 1), is not made late


class Killed(BaseException):
    """A process killed mid-job (BaseException: no `except Exception` catches it)."""


def test_a_crash_mid_job_then_a_rerun_completes(monkeypatch):
    links = [LoanLinkFactory(), LoanLinkFactory()]
    for link in links:
        _paperless(link.user)
    from documents import jobs as doc_jobs

    real = doc_jobs.statement_ready_notices

    def dies_after_the_first_statement(statement):
        raise Killed

    monkeypatch.setattr(doc_jobs, "statement_ready_notices", dies_after_the_first_statement)
    with pytest.raises(Killed):
        jobs.statements(on=dt.date(2026, 3, 16))
    assert Statement.objects.count() == 1 and mail.outbox == []
    monkeypatch.setattr(doc_jobs, "statement_ready_notices", real)

    result = jobs.statements(on=dt.date(2026, 3, 16))

    assert Statement.objects.count() == 2
    assert (result["charged"], result["emails"]) == (1, 2)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(link.user.email for link in links)
    runs = JobRun.objects.filter(job="statements").order_by("pk")
    assert [r.status for r in runs][-1] == "finished"


def test_ready_email_goes_only_to_paperless_owners():
    on, withdrawn, _off = LoanLinkFactory(), LoanLinkFactory(), LoanLinkFactory()
    _paperless(on.user)
    _paperless(withdrawn.user)
    PaperlessConsent.objects.filter(user=withdrawn.user).update(
        withdrawn_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    )
    viewer = UserFactory()
    _paperless(viewer)
    LoanLinkFactory(user=viewer, loan=on.loan, role="viewer")

    jobs.statements(on=dt.date(2026, 3, 16))

    assert Statement.objects.count() == 3
    assert [m.to for m in mail.outbox] == [[on.user.email]]
    assert "Loan statement" not in mail.outbox[0].body  # no figures in the email
    assert "$" not in mail.outbox[0].body
