"""Issue 14 proof on a phone (390 × 844, touch): a borrower reads the latest statement, turns on
paperless, changes the due date and sees it on the dashboard and in the calendar feed, sends a
message and reads the staff reply. Screenshots land in /tmp/shots-requests/ to look at."""

import datetime as dt
import importlib
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from factories import UserFactory
from staff_helpers import NOW

from accounts.inbox import thread_answer_by_staff
from accounts.models import SupportThread
from documents.services import statement_make
from loans import calendar_feeds

SHOTS = Path("/tmp/shots-requests")


def _shot(page, name):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_borrower_phone_journey_statement_paperless_due_date_message(
    _chromium, live_server, linked_loan, borrower
):
    SHOTS.mkdir(exist_ok=True)
    with time_machine.travel(NOW, tick=True):
        statement_make(loan_id=linked_loan.pk, cycle_number=1, on=dt.date(2026, 1, 16))
        latest, _ = statement_make(loan_id=linked_loan.pk, cycle_number=2, on=dt.date(2026, 2, 13))
        client = Client()
        client.force_login(borrower)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context = _chromium.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        )
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        base = live_server.url

        page.goto(f"{base}/documents/loans/{linked_loan.pk}/statements/")
        page.locator(f"a[href$='/statements/{latest.pk}/']").first.tap()
        page.wait_for_url(f"**/statements/{latest.pk}/")
        _shot(page, "1-statement")

        page.goto(f"{base}/documents/paperless/")
        page.get_by_label("I can open the PDF statements", exact=False).check()
        page.get_by_role("button", name="Turn paperless on").tap()
        page.get_by_text("On since").wait_for()
        _shot(page, "2-paperless-on")

        page.goto(f"{base}/loans/{linked_loan.pk}/")
        page.get_by_role("link", name="Change due date").tap()
        page.get_by_label("New due day").select_option("20")
        page.get_by_role("button", name="See my new dates").tap()
        page.get_by_text("Before you confirm").wait_for()
        _shot(page, "3-due-date-quote")
        page.get_by_role("button", name="Confirm new due date").tap()
        page.wait_for_url(f"**/loans/{linked_loan.pk}/")
        page.goto(f"{base}/loans/")
        assert "Dec 20, 2026" in page.content()
        assert "Dec 5, 2026" not in page.content()
        _shot(page, "4-dashboard")
        token = calendar_feeds.calendar_feed_rotate(user=borrower)
        feed = page.request.get(f"{base}/loans/calendar/{token}.ics").text()
        assert "DTSTART;VALUE=DATE:20261220" in feed

        page.goto(f"{base}/loans/{linked_loan.pk}/extension/?months=1")
        _shot(page, "5-extension-quote")
        # transaction=True flushes data migrations between tests: seed the FAQ again.
        from django.apps import apps

        importlib.import_module("helpcentre.migrations.0002_seed_help_articles").seed(apps, None)
        page.goto(f"{base}/help/?q=due+date")
        _shot(page, "6-help-search")

        page.goto(f"{base}/account/messages/new/")
        page.get_by_label("Topic").select_option("payments")
        page.get_by_label("Message").fill("Does autopay follow my new due date?")
        page.get_by_role("button", name="Send message").tap()
        page.wait_for_url(re.compile(r"/account/messages/\d+/$"))
        thread = SupportThread.objects.get(user=borrower)
        thread_answer_by_staff(
            thread=thread, staff=UserFactory(is_staff=True), body="Yes: it now runs on the 18th."
        )
        page.goto(f"{base}/account/messages/{thread.pk}/")
        page.get_by_text("Yes: it now runs on the 18th.").wait_for()
        _shot(page, "7-message-reply")
        context.close()
