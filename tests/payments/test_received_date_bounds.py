"""Attacker review (staff console): recorded money took any past date (a check effective
2020). Its effective date is not before the loan's contract date, not more than
BACKDATE_MAX_DAYS back (backdating moves interest), not in the future — all by the loan's
lender's business date, not the server's time zone."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from factories import LenderFactory, LoanFactory
from staff_helpers import form_token
from staff_money_helpers import TODAY, TUESDAY, make_staff, staff_client

from accounts.roles import SUPPORT_AGENT
from payments.errors import DateNotAllowed
from payments.models import Payment
from payments.services.received import BACKDATE_MAX_DAYS, payment_record_received
from payments.services.remittance import remittance_import

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def record(loan, date, reference="7001"):
    return payment_record_received(
        loan_id=loan.pk,
        channel="check",
        amount=Decimal("100.00"),
        effective_date=date,
        reference=reference,
        actor=None,
    )


def test_the_backdating_limit_is_sixty_days():
    assert BACKDATE_MAX_DAYS == 60


def test_a_check_dated_more_than_sixty_days_back_is_refused(linked_loan):
    for date in (dt.date(2020, 1, 1), TODAY - dt.timedelta(days=61)):
        with pytest.raises(DateNotAllowed, match=r"at most 60 days back \(not before 2026-09-25\)"):
            record(linked_loan, date)
    assert not Payment.objects.exists()
    assert record(linked_loan, dt.date(2026, 9, 25)).payment.effective_date == dt.date(2026, 9, 25)


def test_a_check_dated_before_the_loan_began_is_refused():
    loan = LoanFactory(contract_date=dt.date(2026, 11, 1), interest_accrued_through=TODAY)
    with pytest.raises(DateNotAllowed, match=r"before the loan began \(2026-11-01\)"):
        record(loan, dt.date(2026, 10, 31))
    assert not Payment.objects.exists()


def test_today_is_the_lenders_business_date_not_the_servers():
    # 15:00 UTC on Nov 24 is already Nov 25 (05:00) on Kiritimati (UTC+14).
    far_east = LenderFactory(name="Far East", timezone="Pacific/Kiritimati")
    loan = LoanFactory(lender=far_east, interest_accrued_through=TODAY)
    assert record(loan, dt.date(2026, 11, 25)).payment.effective_date == dt.date(2026, 11, 25)
    with pytest.raises(DateNotAllowed, match="future"):
        record(loan, dt.date(2026, 11, 26), reference="7002")


def test_a_remittance_line_dated_too_far_back_is_refused_by_its_line(linked_loan):
    result = remittance_import(
        text=(
            "loan_number,amount,date,reference\n"
            f"{linked_loan.loan_number},10.00,2026-11-24,LB-1\n"
            f"{linked_loan.loan_number},10.00,2020-01-01,LB-2\n"
            "NOBODY,10.00,2020-01-01,LB-3\n"
        ),
        channel="lockbox",
        lender=linked_loan.lender,
        actor=None,
    )
    assert [e.line for e in result.errors] == [3, 4]
    assert "date: The date can be at most 60 days back" in str(result.errors[0])
    assert not Payment.objects.exists()


def test_the_record_page_shows_the_refusal_next_to_the_date(client, linked_loan):
    staff_client(client, make_staff(SUPPORT_AGENT))
    page = client.post(
        "/admin/payments/payment/record/",
        {
            "submit_token": form_token(),
            "loan_number": linked_loan.loan_number,
            "channel": "check",
            "amount": "100.00",
            "effective_date": "2020-01-01",
            "reference": "7003",
        },
    )
    assert page.status_code == 200
    assert "at most 60 days back" in page.context["form"].errors["effective_date"][0]
    assert not Payment.objects.exists()


# 06:00 UTC on Nov 25 is 01:00 in New York (the default lender time zone) but still 22:00 on
# Nov 24 in Los Angeles.
AFTER_NY_MIDNIGHT = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)


def test_the_record_page_opened_from_a_loan_defaults_to_its_lenders_date(client):
    west = LenderFactory(name="West Coast", timezone="America/Los_Angeles")
    loan = LoanFactory(lender=west, interest_accrued_through=TODAY)
    with time_machine.travel(AFTER_NY_MIDNIGHT, tick=False):
        staff_client(client, make_staff(SUPPORT_AGENT))
        form = client.get(f"/admin/payments/payment/record/?loan={loan.pk}").context["form"]
        assert form.initial["effective_date"] == dt.date(2026, 11, 24)
        assert (form.initial["loan_number"], form.initial["lender"]) == (loan.loan_number, west.pk)
        # Opened without a loan: the default lender's date; the service checks the date against
        # the loan chosen, next to the date field.
        form = client.get("/admin/payments/payment/record/?loan=nonsense").context["form"]
        assert form.initial["effective_date"] == dt.date(2026, 11, 25)
        assert "loan_number" not in form.initial
        page = client.post(
            "/admin/payments/payment/record/",
            {
                "submit_token": form_token(),
                "loan_number": loan.loan_number,
                "channel": "check",
                "amount": "100.00",
                "effective_date": "2026-11-25",
                "reference": "7004",
            },
        )
    assert "future" in page.context["form"].errors["effective_date"][0]
    assert not Payment.objects.exists()
