# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""Autopay's refusal of a loan's new terms (a run date past its cut-off, a debit in flight) is
shown where the change was asked for — on the borrower's request, next to the staff form's
field — never a 500 (loans/servicing.py `_autopay_rebuild`).

Observed before (attacker review helper-67): AutopayError is not a ValueError, and every
caller catches ValueError: the borrower's due-date request and the staff due-day page
answered 500, nothing recorded."""

import datetime as dt

import pytest
import time_machine
from autopay_fixtures import at, enroll, inline_charges  # noqa: F401
from staff_helpers import make_staff, staff_client

from accounts.roles import SUPERVISOR
from loans.models import BorrowerRequest

PAST_THE_CUT_OFF = at(dt.date(2026, 12, 1), 18)  # Tue Dec 1, 6 PM: the 5 PM cut-off passed
REASON = (
    "The borrower's automatic payment of the installment due Dec 2 would run on Wed, Dec 2, "
    "past the cut-off for changes; choose a later due day, or ask the borrower to pause "
    "autopay first."
)


@pytest.fixture
def autopay_on(linked_loan, add_card, enroll):
    """Autopay (monthly, on the due date) from Nov 24; due day 5."""
    with time_machine.travel(at(dt.date(2026, 11, 24), 9), tick=False):
        enroll(linked_loan, add_card("4242424242424242"), now=at(dt.date(2026, 11, 24), 9))
    return linked_loan


@pytest.mark.django_db
def test_a_due_date_request_autopay_refuses_waits_for_staff_with_the_reason(
    autopay_on, borrower, client
):
    """Due day 2 asked on Dec 1 at 6 PM: Dec 2's debit would run past the cut-off. The
    request is kept for staff with autopay's reason; the due day stays 5."""
    with time_machine.travel(PAST_THE_CUT_OFF, tick=False):
        client.force_login(borrower)
        response = client.post(f"/loans/{autopay_on.pk}/due-date/", {"due_day": "2"})

    assert response.status_code == 302
    autopay_on.refresh_from_db()
    assert autopay_on.due_day == 5
    request = BorrowerRequest.objects.get(loan=autopay_on)
    assert (request.status, request.reasons) == ("pending", [REASON])


@pytest.mark.django_db
def test_a_staff_due_day_change_autopay_refuses_shows_the_reason_on_the_form(autopay_on):
    with time_machine.travel(PAST_THE_CUT_OFF, tick=False):
        web = staff_client(make_staff(SUPERVISOR))
        response = web.post(
            f"/admin/loans/loan/{autopay_on.pk}/due_day/",
            {"due_day": "2", "reason": "Payday moved"},
        )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors == {"due_day": [REASON]}
    autopay_on.refresh_from_db()
    assert autopay_on.due_day == 5
