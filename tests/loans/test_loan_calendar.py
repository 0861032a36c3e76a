"""The private iCalendar feed: unguessable token, stored hashed, revocable."""

import datetime as dt
import re

import pytest
import time_machine
from factories import LoanFactory, LoanLinkFactory

from loans.ical import render_calendar
from loans.models import CalendarFeed
from loans.selectors import CalendarEvent

pytestmark = pytest.mark.django_db
NOV_24 = time_machine.travel(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC), tick=False)


def _make_link(client) -> str:
    response = client.post("/loans/calendar/", {"action": "rotate"})
    return re.search(r'value="(http[^"]+\.ics)"', response.content.decode()).group(1)


@NOV_24
def test_feed_lists_upcoming_due_dates_as_all_day_events(client, borrower):
    loan = LoanFactory(
        ten_paid=True,
    )
    LoanLinkFactory(user=borrower, loan=loan)
    client.force_login(borrower)
    url = _make_link(client)
    client.logout()
    response = client.get(url)  # calendar apps do not sign in
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 12
    assert "DTSTART;VALUE=DATE:20261205" in body
    assert f"UID:due-{loan.pk}-11@ismartpay" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


@NOV_24
def test_feed_lists_autopay_debits_of_an_active_plan(client, borrower, linked_loan, add_card):
    from payments.autopay.schedule import PlanTerms
    from payments.autopay.services import autopay_enroll

    autopay_enroll(
        user=borrower,
        loan_id=linked_loan.pk,
        method=add_card("4242424242424242"),
        ip_address="203.0.113.9",
        user_agent="pytest",
        now=dt.datetime(2026, 11, 24, 15, tzinfo=dt.UTC),
        terms=PlanTerms(
            schedule="monthly_due", amount_rule="installment", start_date=dt.date(2026, 11, 24)
        ),
    )
    client.force_login(borrower)
    url = _make_link(client)
    client.logout()
    body = client.get(url).content.decode()
    assert body.count("BEGIN:VEVENT") == 24  # 12 due dates + 12 autopay debits
    assert "SUMMARY:Autopay $483.32: 2022 Honda Accord" in body
    # Saturday 2027-06-05 is debited on Friday the 4th: the previous business day.
    assert "DTSTART;VALUE=DATE:20270604" in body


@NOV_24
def test_token_is_stored_hashed_and_a_new_link_revokes_the_old(client, borrower):
    client.force_login(borrower)
    first = _make_link(client)
    token = first.rsplit("/", 1)[-1].removesuffix(".ics")
    assert len(token) >= 40
    stored = CalendarFeed.objects.get(user=borrower).token_sha256
    assert token not in stored and len(stored) == 64
    second = _make_link(client)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    client.post("/loans/calendar/", {"action": "revoke"})
    assert client.get(second).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_unknown_tokens_get_404(client):
    assert client.get("/loans/calendar/not-a-real-token.ics").status_code == 404


def test_calendar_text_is_escaped_and_folded():
    event = CalendarEvent(
        uid="u1@ismartpay",
        day=dt.date(2026, 12, 5),
        summary="Due; Honda, Civic",
        description="x" * 200,
    )
    body = render_calendar([event], stamp=dt.datetime(2026, 11, 24, tzinfo=dt.UTC), name="n")
    assert "SUMMARY:Due\\; Honda\\, Civic" in body
    assert "\r\n x" in body  # folded continuation line
    assert "DTEND;VALUE=DATE:20261206" in body
