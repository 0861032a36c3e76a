"""Attacker review (staff console): dates without bounds — a promise to pay for 9999-12-31, a
flag starting in 1900. A promise is for the lender's business date through +60 days
(collections.PROMISE_MAX_DAYS); a flag starts no earlier than the loan's contract date, ends
on or after its start, and both stay within FLAG_HORIZON_DAYS of the business date."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from factories import LenderFactory, LoanFactory
from staff_helpers import NOW, form_token, make_staff, staff_client

from accounts.roles import SUPERVISOR
from loans.collections import (
    FLAG_HORIZON_DAYS,
    PROMISE_MAX_DAYS,
    CollectionsError,
    account_flag_end,
    account_flag_set,
    promise_add,
)
from loans.models import AccountFlag, PromiseToPay

pytestmark = pytest.mark.django_db
NOV_24 = dt.date(2026, 11, 24)
REASON = "Borrower documented the situation by phone"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff():
    return make_staff(SUPERVISOR)


def promise(loan, date, *, staff, on=None):
    return promise_add(
        loan_id=loan.pk, promised_date=date, amount=Decimal("100.00"), actor=staff, on=on
    )


def flag(loan, start, end=None, *, staff):
    # Bankruptcy: open-ended allowed (a hardship flag needs an end date, and four eyes).
    return account_flag_set(
        loan_id=loan.pk,
        kind="bankruptcy",
        start_date=start,
        end_date=end,
        reason=REASON,
        actor=staff,
    )


def test_the_promise_window_is_sixty_days():
    assert PROMISE_MAX_DAYS == 60


def test_a_promise_more_than_sixty_days_out_is_refused_at_its_field(staff):
    loan = LoanFactory()
    for date in (dt.date(9999, 12, 31), NOV_24 + dt.timedelta(days=61)):
        with pytest.raises(CollectionsError, match="at most 60 days out") as refused:
            promise(loan, date, staff=staff)
        assert refused.value.field == "promised_date"
    assert not PromiseToPay.objects.exists()
    assert promise(loan, NOV_24 + dt.timedelta(days=60), staff=staff).promised_date == dt.date(
        2027, 1, 23
    )


def test_a_promise_is_bounded_by_the_lenders_business_date_not_the_servers(staff):
    # 15:00 UTC on Nov 24 is already Nov 25 (05:00) on Kiritimati (UTC+14).
    loan = LoanFactory(lender=LenderFactory(name="Far East", timezone="Pacific/Kiritimati"))
    with pytest.raises(CollectionsError, match="past"):
        promise(loan, NOV_24, staff=staff)
    made = promise(loan, dt.date(2026, 11, 25), staff=staff)
    assert made.created_on == dt.date(2026, 11, 25)


def test_the_promise_page_shows_the_refusal_next_to_the_date():
    loan = LoanFactory()
    page = staff_client(make_staff(SUPERVISOR)).post(
        "/admin/loans/promisetopay/add/",
        {"loan_number": loan.loan_number, "promised_date": "9999-12-31", "amount": "100.00"},
    )
    assert page.status_code == 200
    assert "at most 60 days out" in page.context["form"].errors["promised_date"][0]


def test_a_flag_cannot_start_before_the_loan_began(staff):
    loan = LoanFactory()  # contract date 2026-01-05
    with pytest.raises(CollectionsError, match=r"before the loan began \(2026-01-05\)") as e:
        flag(loan, dt.date(1900, 1, 1), staff=staff)
    assert e.value.field == "start_date"
    assert flag(loan, dt.date(2026, 1, 5), staff=staff).start_date == dt.date(2026, 1, 5)


def test_a_flag_ends_on_or_after_its_start_and_within_the_horizon(staff):
    loan = LoanFactory()
    with pytest.raises(CollectionsError, match="before the start") as e:
        flag(loan, NOV_24, NOV_24 - dt.timedelta(days=1), staff=staff)
    assert e.value.field == "end_date"
    with pytest.raises(CollectionsError, match="end date must be between") as e:
        flag(loan, NOV_24, dt.date(9999, 12, 31), staff=staff)
    assert e.value.field == "end_date"
    with pytest.raises(CollectionsError, match="too far ahead"):
        flag(loan, dt.date(2206, 1, 1), staff=staff)
    one_day = flag(loan, NOV_24, NOV_24, staff=staff)
    assert (one_day.start_date, one_day.end_date) == (NOV_24, NOV_24)
    last = NOV_24 + dt.timedelta(days=FLAG_HORIZON_DAYS)
    assert flag(loan, NOV_24, last, staff=staff).end_date == dt.date(2031, 11, 28)


def test_ending_a_flag_far_in_the_future_is_refused(staff):
    loan = LoanFactory()
    open_flag = flag(loan, NOV_24, staff=staff)
    with pytest.raises(CollectionsError, match="end date must be between"):
        account_flag_end(
            flag_id=open_flag.pk, end_date=dt.date(9999, 12, 31), reason=REASON, actor=staff
        )
    assert AccountFlag.objects.get().end_date is None


def test_the_flag_page_shows_the_refusal_next_to_the_start_date():
    loan = LoanFactory()
    page = staff_client(make_staff(SUPERVISOR)).post(
        "/admin/loans/accountflag/add/",
        {
            "loan_number": loan.loan_number,
            "kind": "hardship",
            "start_date": "1900-01-01",
            "reason": REASON,
            "submit_token": form_token(),
        },
    )
    assert page.status_code == 200
    assert "before the loan began" in page.context["form"].errors["start_date"][0]
    assert not AccountFlag.objects.exists()
