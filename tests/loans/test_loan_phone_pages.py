"""Every loans page on a phone (390 and 360 px wide): no sideways scrolling, 44 px tap targets.
Screenshots land in /tmp/shots-loans/ for a human to look at."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from phone_helpers import INLINE_TEXT, scroll_width, small_targets_js

from loans.demo import DEMO_EMAIL, seed_demo_data
from loans.invitations import invitation_token
from loans.models import LoanInvitation, LoanLink

SHOTS = Path("/tmp/shots-loans")
# Links inside the error summary's sentences are inline text too.
SMALL_TARGETS_JS = small_targets_js(f"{INLINE_TEXT}, .error-summary li")


def _signed_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_loan_pages_fit_a_phone(browser_page, live_server):
    from django.utils import timezone

    from accounts.models import User

    today = timezone.localdate()
    seed_demo_data(today=today)
    user = User.objects.get(email=DEMO_EMAIL)
    loan = LoanLink.objects.filter(user=user).order_by("loan__loan_number").last().loan
    invitation = LoanInvitation.objects.create(
        loan=loan, invited_by=user, email="mum@example.com", name="Mum", role="payer"
    )
    other = User.objects.create_user("friend@example.com", "x" * 20, full_name="Friend")
    SHOTS.mkdir(exist_ok=True)
    page = browser_page
    quote_day = (today + dt.timedelta(days=10)).isoformat()
    pages = {
        "dashboard": "/loans/",
        "link": "/loans/link/",
        "detail": f"/loans/{loan.pk}/?good_through={quote_day}#payoff-quote",
        "detail-schedule": f"/loans/{loan.pk}/?page=2#schedule-table",
        "what-if": f"/loans/{loan.pk}/what-if/?extra_monthly=75&one_off_extra=500",
        "what-if-error": f"/loans/{loan.pk}/what-if/?extra_monthly=12.345",
        "sharing": f"/loans/{loan.pk}/sharing/",
        "calendar": "/loans/calendar/",
    }
    for width in (390, 360):
        page.context.clear_cookies()
        _signed_in(page, live_server, user)
        page.set_viewport_size({"width": width, "height": 844})
        for name, path in pages.items():
            page.goto(f"{live_server.url}{path}")
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
            assert scroll_width(page) <= width, name
            assert page.evaluate(SMALL_TARGETS_JS) == [], name
        # Forms with errors and the calendar link, as people will see them.
        page.goto(f"{live_server.url}/loans/link/")
        page.fill("input[name=loan_number]", "DA-000000")
        page.fill("input[name=billing_zip]", "123")
        page.fill("input[name=vin_last6]", "ABC")
        page.click("main form button[type=submit]")
        page.screenshot(path=str(SHOTS / f"link-errors-{width}.png"), full_page=True)
        assert page.locator(".field__error").count() >= 2
        page.goto(f"{live_server.url}/loans/calendar/")
        page.click("button[value=rotate]")
        page.screenshot(path=str(SHOTS / f"calendar-link-{width}.png"), full_page=True)
        assert scroll_width(page) <= width
        page.context.clear_cookies()
        _signed_in(page, live_server, other)
        page.goto(f"{live_server.url}/loans/invitations/{invitation_token(invitation)}/")
        page.screenshot(path=str(SHOTS / f"invitation-{width}.png"), full_page=True)
        assert page.evaluate(SMALL_TARGETS_JS) == []
