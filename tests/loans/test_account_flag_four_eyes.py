"""Attacker review, finding 2: a supervisor alone cut a loan's rate with an open-ended SCRA
(military) flag, and hardship paused late fees with no end. A flag that changes money (loans/
flags.py CHANGES_MONEY) is now a staff request (kind `account_flag`) a second supervisor
approves, its page showing the effect; hardship needs an end date. Bankruptcy and deceased
change no money: one supervisor sets them. Ending a flag early is one person's."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from staff_helpers import NOW, TODAY, form_token, make_staff, staff_client

from accounts.roles import SUPERVISOR
from loans.collections import CollectionsError, account_flag_set
from loans.models import AccountFlag, StaffRequest
from loans.selectors import loan_balances_on
from loans.staff_requests import staff_request_approve

pytestmark = pytest.mark.django_db
URL = "/admin/loans/accountflag/add/"
YEAR_ON = TODAY + dt.timedelta(days=365)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def flag_form(loan, kind, end=""):
    return {
        "loan_number": loan.loan_number,
        "kind": kind,
        "start_date": TODAY.isoformat(),
        "end_date": end,
        "reason": "Borrower says he is deployed",
        "submit_token": form_token(),
    }


def test_an_scra_flag_waits_for_a_second_supervisor_showing_the_apr_before_and_after(
    linked_loan,
):
    linked_loan.apr_percent = Decimal("24.00")
    linked_loan.interest_accrued_through = TODAY
    linked_loan.save()
    interest = loan_balances_on(linked_loan, YEAR_ON).interest
    supervisor, approver = make_staff(SUPERVISOR), make_staff(SUPERVISOR)

    response = staff_client(supervisor).post(URL, flag_form(linked_loan, "military"))

    request = StaffRequest.objects.get()
    assert response["Location"] == f"/admin/loans/staffrequest/{request.pk}/change/"
    assert (request.kind, request.status, request.amount, request.params) == (
        "account_flag",
        "pending",
        None,
        {"flag": "military", "start_date": "2026-11-24", "end_date": None},
    )
    assert (request.before["apr_percent"], request.after["apr_percent"]) == ("24.000", "6.00")
    assert (request.after["from"], request.after["to"]) == ("2026-11-24", "until ended")
    linked_loan.refresh_from_db()
    assert not AccountFlag.objects.exists() and linked_loan.rate_caps == []
    assert loan_balances_on(linked_loan, YEAR_ON).interest == interest
    page = staff_client(approver).get(f"/admin/loans/staffrequest/{request.pk}/change/")
    assert "24.000 %" in page.content.decode() and "6.00 %" in page.content.decode()

    staff_request_approve(request_id=request.pk, actor=approver, on=TODAY)

    linked_loan.refresh_from_db()
    flag = AccountFlag.objects.get()
    assert (flag.kind, flag.start_date, flag.end_date, flag.set_by) == (
        "military",
        TODAY,
        None,
        approver,
    )
    assert flag.reason == f"Borrower says he is deployed (approved by {approver.email})"
    assert linked_loan.rate_caps == [{"start": "2026-11-24", "end": None, "apr": "6.00"}]
    assert loan_balances_on(linked_loan, YEAR_ON).interest < interest


def test_a_hardship_flag_needs_an_end_date_and_shows_the_fee_pause(linked_loan):
    client = staff_client(make_staff(SUPERVISOR))

    open_ended = client.post(URL, flag_form(linked_loan, "hardship"))

    assert open_ended.status_code == 200
    assert "A hardship flag needs an end date" in open_ended.content.decode()
    assert not StaffRequest.objects.exists()
    with pytest.raises(CollectionsError, match="needs an end date"):
        account_flag_set(
            loan_id=linked_loan.pk,
            kind="hardship",
            start_date=TODAY,
            end_date=None,
            reason="Lost job, asked for time",
            actor=make_staff(SUPERVISOR),
        )

    bounded = client.post(URL, flag_form(linked_loan, "hardship", end="2027-02-28"))

    request = StaffRequest.objects.get()
    assert bounded["Location"] == f"/admin/loans/staffrequest/{request.pk}/change/"
    assert (request.after["fees_paused"], request.after["from"], request.after["to"]) == (
        True,
        "2026-11-24",
        "2027-02-28",
    )
    assert not AccountFlag.objects.exists()


def test_bankruptcy_changes_no_money_and_is_set_alone(linked_loan):
    response = staff_client(make_staff(SUPERVISOR)).post(URL, flag_form(linked_loan, "bankruptcy"))

    assert response["Location"] == f"/admin/loans/loan/{linked_loan.pk}/change/"  # its page
    assert AccountFlag.objects.get().kind == "bankruptcy"
    assert not StaffRequest.objects.exists()


def test_one_supervisor_cannot_end_an_approved_scra_cap_before_today(linked_loan):
    """Attacker review, round 2: a third supervisor ended a military flag on its start date,
    re-pricing 90 days already capped. Ending a money-changing flag reaches back no earlier
    than the lender's business date; ending it today or later is still one person's."""
    from loans.collections import account_flag_end

    supervisor = make_staff(SUPERVISOR)
    flag = account_flag_set(
        loan_id=linked_loan.pk,
        kind="military",
        start_date=TODAY - dt.timedelta(days=90),
        end_date=None,
        reason="Orders received, active duty",
        actor=supervisor,
    )

    with pytest.raises(CollectionsError, match="can't end before today") as refused:
        account_flag_end(
            flag_id=flag.pk, end_date=flag.start_date, reason="Ended by mistake?", actor=supervisor
        )
    assert refused.value.field == "end_date"
    ended = account_flag_end(
        flag_id=flag.pk, end_date=TODAY, reason="Orders ended today", actor=supervisor
    )
    assert ended.end_date == TODAY
