"""Issue 9, findings 8 and 7 (late fees): a late fee is assessed once per installment, only
after that installment's grace period counted from the run's business date, whatever the
loan's origin (import, demo seed, ledger) and whatever day the run is made on."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from factories import LoanFactory, LoanLinkFactory
from shared_helpers import ROOT

from loans.importing import COLUMNS, OPTIONAL_COLUMNS, import_loans
from loans.models import Loan, LoanPosting
from loans.schedule import amortization_schedule
from payments import jobs
from payments.models import JobRun

pytestmark = pytest.mark.django_db

IMPORTED_ON = dt.date(2026, 11, 24)
DEC_3 = dt.date(2026, 12, 3)  # before installment 11 (due Dec 5) is even due
DEC_15 = dt.date(2026, 12, 15)  # last day of installment 11's 10-day grace period
DEC_16 = dt.date(2026, 12, 16)  # first day its late fee is due
# $25,000 at 6 % for 60 months, due the 5th from Feb 5, 2026: installment 10 is due Nov 5.
# The lender's record: installments 1-9 paid, 10 missed and its $25 late fee already owed.
PAID_9 = amortization_schedule(Decimal("25000.00"), Decimal("6.00"), 60, dt.date(2026, 2, 5), 5)[
    8
].balance_after
ROW = {
    "lender_name": "Acme Auto",
    "loan_number": "A-1",
    "vin": "1HGCM82633A004352",
    "year": "2022",
    "make": "Honda",
    "model": "Accord",
    "billing_zip": "10001",
    "borrower_email": "pat@example.com",
    "original_principal": "25000.00",
    "apr_percent": "6.00",
    "term_months": "60",
    "contract_date": "2026-01-05",
    "first_due_date": "2026-02-05",
    "due_day": "5",
    "principal_balance": str(PAID_9),
    "interest_paid_through": "2026-10-05",
    "unpaid_fees": "25.00",
}


def _csv(**changes) -> str:
    """One row of ROW with `changes`; a change to None drops that column from the file."""
    row = {**ROW, **changes}
    names = [name for name, value in row.items() if value is not None]
    return ",".join(names) + "\n" + ",".join(row[name] for name in names) + "\n"


def _import(on=IMPORTED_ON, **changes) -> Loan:
    result = import_loans(_csv(**changes), today=on)
    assert result.errors == []
    return Loan.objects.get(loan_number="A-1")


def _late_fees(loan) -> list[tuple[int, dt.date, Decimal]]:
    return list(
        LoanPosting.objects.filter(loan=loan, kind="late_fee")
        .order_by("pk")
        .values_list("installment_number", "effective_date", "fees")
    )


def _fees(loan) -> Decimal:
    return Loan.objects.get(pk=loan.pk).unpaid_fees


def test_imported_fee_for_installment_10_is_not_assessed_again_before_11s_grace_ends():
    loan = _import(late_fees_assessed_through="10")
    assert loan.late_fees_assessed_through == 10
    assert loan.paid_toward_installments == Decimal("483.32") * 9
    for day in (IMPORTED_ON, DEC_3, DEC_15):
        jobs.assess_late_fees(on=day)
    assert _late_fees(loan) == []
    assert _fees(loan) == Decimal("25.00")


def test_after_installment_11s_grace_exactly_one_new_fee_however_often_the_job_runs():
    loan = _import(late_fees_assessed_through="10")
    first = jobs.assess_late_fees(on=DEC_16)
    again = jobs.assess_late_fees(on=DEC_16)
    later = jobs.assess_late_fees(on=dt.date(2026, 12, 20))
    assert _late_fees(loan) == [(11, DEC_16, Decimal("-25.00"))]
    assert _fees(loan) == Decimal("50.00")
    assert (first["charged"], again["charged"], later["charged"]) == (1, 0, 0)


def test_old_files_without_the_column_take_the_record_as_complete_on_the_import_date():
    # Grace periods ended before Nov 24 for installments 1-10: the lender's record covers them.
    loan = _import(late_fees_assessed_through=None)
    assert loan.late_fees_assessed_through == 10
    jobs.assess_late_fees(on=DEC_3)
    assert _late_fees(loan) == []
    jobs.assess_late_fees(on=DEC_16)
    assert _late_fees(loan) == [(11, DEC_16, Decimal("-25.00"))]


def test_a_blank_value_means_the_same_as_no_column():
    assert _import(late_fees_assessed_through="").late_fees_assessed_through == 10


def test_zero_hands_every_late_installment_to_the_nightly_job():
    loan = _import(late_fees_assessed_through="0", unpaid_fees="0.00")
    jobs.assess_late_fees(on=DEC_3)
    assert _late_fees(loan) == [(10, DEC_3, Decimal("-25.00"))]
    assert _fees(loan) == Decimal("25.00")


def test_a_reimport_never_lowers_what_the_ledger_already_assessed():
    loan = _import(late_fees_assessed_through="10")
    jobs.assess_late_fees(on=DEC_16)  # installment 11's fee, on our ledger
    # A stale lender file: says only 9, blank, or nothing about it; fees as the lender knows.
    for value in ("9", "", None):
        _import(on=dt.date(2026, 12, 20), late_fees_assessed_through=value, unpaid_fees="50.00")
        assert Loan.objects.get(pk=loan.pk).late_fees_assessed_through == 11
    jobs.assess_late_fees(on=dt.date(2026, 12, 21))
    assert _late_fees(loan) == [(11, DEC_16, Decimal("-25.00"))]
    assert _fees(loan) == Decimal("50.00")


def test_a_reimport_can_raise_it():
    loan = _import(late_fees_assessed_through="9", unpaid_fees="0.00")
    _import(on=dt.date(2026, 11, 25), late_fees_assessed_through="10", unpaid_fees="25.00")
    assert Loan.objects.get(pk=loan.pk).late_fees_assessed_through == 10
    jobs.assess_late_fees(on=DEC_3)
    assert _late_fees(loan) == []


@pytest.mark.parametrize("value", ["-1", "ten", "1.5", "11"])
def test_a_bad_value_is_reported_on_its_line_and_nothing_is_kept(value):
    # 11 is not due by Nov 24: no one can have assessed its late fee yet.
    result = import_loans(_csv(late_fees_assessed_through=value), today=IMPORTED_ON)
    assert len(result.errors) == 1
    assert result.errors[0].line == 2
    assert "late_fees_assessed_through" in result.errors[0].message
    assert not Loan.objects.exists()


def test_the_sample_file_documents_the_column():

    sample = ROOT / "loans" / "sample_data" / "loans_sample.csv"
    header = sample.read_text().splitlines()[0].split(",")
    assert header == [*COLUMNS, *OPTIONAL_COLUMNS]  # late_fees_assessed_through, then history
    assert import_loans(sample.read_text(), today=IMPORTED_ON).errors == []
    through = dict(Loan.objects.values_list("loan_number", "late_fees_assessed_through"))
    # 200102: installment 28's fee is the $25 owed, 29's is left to the nightly job;
    # 200103 leaves it blank: all 45 installments due (grace ended Nov 10) are the lender's.
    assert through == {"SAC-200101": 19, "SAC-200102": 28, "SAC-200103": 45, "SAC-200104": 48}
    jobs.assess_late_fees(on=IMPORTED_ON)
    assert list(
        LoanPosting.objects.filter(kind="late_fee").values_list(
            "loan__loan_number", "installment_number", "fees"
        )
    ) == [("SAC-200102", 29, Decimal("-25.00"))]


def test_a_loan_made_without_the_field_starts_with_no_installment_assessed():
    loan = LoanFactory()  # first due Feb 5, 2026
    assert loan.late_fees_assessed_through == 0
    jobs.assess_late_fees(on=dt.date(2026, 2, 16))
    assert _late_fees(loan) == [(1, dt.date(2026, 2, 16), Decimal("-25.00"))]


# --- The demo's past-due loan (finding 8 as observed) -------------------------------------

SEEDED = time_machine.travel(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC), tick=False)


def _run_daily(day: str) -> None:
    call_command("run_daily", "--date", day, stdout=StringIO())


@SEEDED
def test_demo_past_due_loan_keeps_its_one_25_dollar_fee_after_run_daily_on_dec_3():
    call_command("seed_demo", "--force", stdout=StringIO())
    loan = Loan.objects.get(loan_number="DA-100871")
    # Installments 1-20 paid, 21 (due Nov 5) missed with its $25 fee owed: the record says so.
    assert (loan.due_day, loan.late_fees_assessed_through) == (5, 21)
    assert loan.unpaid_fees == Decimal("25.00")
    mail.outbox.clear()
    _run_daily("2026-12-03")
    _run_daily("2026-12-03")
    assert _late_fees(loan) == []
    assert _fees(loan) == Decimal("25.00")
    assert not any("late fee" in m.subject for m in mail.outbox)
    assert not LoanPosting.objects.exists()  # nothing at all was posted on any demo loan


@SEEDED
def test_demo_past_due_loan_gets_one_fee_for_dec_5_only_after_its_grace_period():
    call_command("seed_demo", "--force", stdout=StringIO())
    loan = Loan.objects.get(loan_number="DA-100871")
    _run_daily("2026-12-15")
    assert _late_fees(loan) == []
    for _ in range(2):
        _run_daily("2026-12-16")
    _run_daily("2026-12-17")
    assert _late_fees(loan) == [(22, DEC_16, Decimal("-25.00"))]
    assert _fees(loan) == Decimal("50.00")


# --- Finding 7 (late fees): the run's business date, not the day it is run -----------------


def _loan_due_nov_5():
    loan = LoanFactory(
        contract_date=dt.date(2026, 10, 5), first_due_date=dt.date(2026, 11, 5), due_day=5
    )
    LoanLinkFactory(loan=loan, user__email="pat@example.com")
    return loan


@time_machine.travel(dt.datetime(2026, 12, 28, 15, 0, tzinfo=dt.UTC), tick=False)
def test_a_catch_up_run_counts_the_grace_period_from_its_own_date():
    loan = _loan_due_nov_5()  # today is Dec 28, long after Nov 5's grace; the run is for Nov 15
    call_command("assess_late_fees", "--date", "2026-11-15", stdout=StringIO())
    assert _late_fees(loan) == []
    call_command("assess_late_fees", "--date", "2026-11-16", stdout=StringIO())
    assert _late_fees(loan) == [(1, dt.date(2026, 11, 16), Decimal("-25.00"))]
    assert Loan.objects.get(pk=loan.pk).status == "past_due"


@time_machine.travel(dt.datetime(2026, 11, 10, 15, 0, tzinfo=dt.UTC), tick=False)
def test_a_run_for_another_date_dates_the_fee_and_its_notice_on_that_date():
    loan = _loan_due_nov_5()  # today is Nov 10, inside the grace period; the run is for Nov 16
    mail.outbox.clear()
    call_command("assess_late_fees", "--date", "2026-11-16", stdout=StringIO())
    call_command("assess_late_fees", "--date", "2026-11-16", stdout=StringIO())
    assert _late_fees(loan) == [(1, dt.date(2026, 11, 16), Decimal("-25.00"))]
    runs = JobRun.objects.filter(job="assess_late_fees").order_by("pk")
    assert [(r.business_date, r.due, r.charged) for r in runs] == [
        (dt.date(2026, 11, 16), 1, 1),
        (dt.date(2026, 11, 16), 1, 0),
    ]
    [notice] = mail.outbox
    assert notice.to == ["pat@example.com"]
    assert notice.subject == "A late fee was added to your loan"
    assert (
        f"A late fee of $25.00 was added to loan {loan.loan_number} on Nov 16, 2026: the "
        "payment due Nov 5, 2026 was still unpaid after the 10-day grace period."
    ) in notice.body
