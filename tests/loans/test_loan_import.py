"""Servicing import: rows validated by line, all or nothing, existing loans updated."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from factories import UserFactory
from shared_helpers import ROOT

from loans.importing import COLUMNS, import_loans
from loans.models import Lender, Loan, LoanPosting

pytestmark = pytest.mark.django_db

SAMPLE = ROOT / "loans" / "sample_data" / "loans_sample.csv"
TODAY = dt.date(2026, 11, 24)
HEADER = ",".join(COLUMNS)
GOOD = (
    "Acme Auto,A-1,1HGCM82633A004352,2022,Honda,Accord,10001,pat@example.com,25000.00,6.00,60,"
    "2026-01-05,2026-02-05,5,23579.07,2026-05-05,0.00"
)


def _csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def test_sample_file_imports_and_derives_installments_paid():
    result = import_loans(SAMPLE.read_text(), today=TODAY)
    assert result.errors == []
    assert (result.created, result.updated) == (4, 0)
    accord = Loan.objects.get(loan_number="SAC-200101")
    assert accord.installment_amount == Decimal("550.85")
    assert accord.interest_accrued_through == dt.date(2026, 10, 15)
    assert accord.accrued_interest == Decimal("0.00")
    # The balance matches the contract schedule after 19 installments.
    assert accord.paid_toward_installments == Decimal("550.85") * 19
    assert Loan.objects.get(loan_number="SAC-200104").status == Loan.Status.PAID_OFF


def test_import_command_loads_the_sample_file(capsys):
    call_command("import_loans", str(SAMPLE))
    assert "4 created, 0 updated" in capsys.readouterr().out
    call_command("import_loans", str(SAMPLE))
    assert "0 created, 4 updated" in capsys.readouterr().out
    assert Loan.objects.count() == 4


def test_bad_rows_are_reported_by_line_and_nothing_is_kept(tmp_path):
    bad_vin = GOOD.replace("A-1,1HGCM82633A004352", "A-2,1HGCM82633A00435")
    bad_date = GOOD.replace("A-1,", "A-3,").replace("2026-02-05,5", "2026-02-31,5")
    bad_money = GOOD.replace("A-1,", "A-4,").replace("23579.07", "23579.071")
    text = _csv(GOOD, bad_vin, bad_date, bad_money, GOOD)
    result = import_loans(text, today=TODAY)
    assert [(e.line, e.message.split(" ")[0]) for e in result.errors] == [
        (3, "vin"),
        (4, "first_due_date"),
        (5, "principal_balance"),
        (6, "loan"),  # the first row again
    ]
    assert not Loan.objects.exists()
    assert not Lender.objects.filter(name="Acme Auto").exists()
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(CommandError, match="4 bad row"):
        call_command("import_loans", str(path))
    assert not Loan.objects.exists()


def test_missing_columns_are_reported_on_line_1():
    result = import_loans("lender_name,loan_number\nAcme,1\n", today=TODAY)
    assert result.errors[0].line == 1
    assert "missing column(s): vin" in result.errors[0].message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("6.00,60", "37.00,60"), "apr_percent"),
        (("6.00,60", "6.00,0"), "term_months"),
        (("10001", "1000"), "billing_zip"),
        (("pat@example.com", "not-an-email"), "borrower_email"),
        (("23579.07", "26000.00"), "principal_balance"),
        (("2026-05-05,0.00", "2025-05-05,0.00"), "interest_paid_through"),
        (("0.00\n", "-5.00\n"), "unpaid_fees"),
    ],
)
def test_each_invalid_field_is_named_in_the_error(change, field):
    result = import_loans(_csv(GOOD).replace(*change), today=TODAY)
    assert len(result.errors) == 1
    assert result.errors[0].line == 2
    assert field in result.errors[0].message


def test_updating_a_loan_records_the_balance_change_on_the_ledger():
    staff = UserFactory(is_staff=True)
    import_loans(_csv(GOOD), today=TODAY)
    loan = Loan.objects.get(loan_number="A-1")
    assert loan.paid_toward_installments == Decimal("1449.96")  # 3 installments of 483.32
    updated = GOOD.replace("23579.07,2026-05-05,0.00", "23291.28,2026-06-05,25.00")
    result = import_loans(_csv(updated), today=TODAY, actor=staff)
    assert (result.created, result.updated) == (0, 1)
    loan.refresh_from_db()
    assert loan.principal_balance == Decimal("23291.28")
    assert loan.unpaid_fees == Decimal("25.00")
    assert loan.paid_toward_installments == Decimal("1933.28")
    adjustment = LoanPosting.objects.get(loan=loan)
    assert adjustment.kind == "adjustment"
    assert (adjustment.principal, adjustment.fees) == (Decimal("287.79"), Decimal("-25.00"))
    assert adjustment.created_by == staff


@pytest.fixture
def admin_client(client):
    """A superuser signed in and past the second factor (the admin requires it)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from factories import totp_device_for

    staff = UserFactory(is_staff=True, is_superuser=True)
    device = totp_device_for(staff)
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_staff_can_import_in_admin_and_see_errors(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("l.csv", _csv(GOOD, GOOD.replace("A-1,", "")).encode())
    response = admin_client.post("/admin/loans/loan/import/", {"file": bad})
    assert response.status_code == 200
    assert b"Line 3:" in response.content
    assert not Loan.objects.exists()
    good = SimpleUploadedFile("l.csv", SAMPLE.read_bytes())
    response = admin_client.post("/admin/loans/loan/import/", {"file": good})
    assert response.status_code == 302
    assert Loan.objects.count() == 4


def test_borrowers_cannot_reach_the_admin_import(borrower_client):
    response = borrower_client.get("/admin/loans/loan/import/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
