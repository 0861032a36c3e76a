"""What a person sees on a small phone: no sideways scrolling, big enough tap targets."""

import pytest
from phone_helpers import SMALL_PHONE, SMALL_TARGETS_JS, scroll_width

from loans.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo_data


def _sign_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", DEMO_EMAIL)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/loans/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_fits_a_360px_phone_with_44px_tap_targets(browser_page, live_server):
    from django.utils import timezone

    seed_demo_data(today=timezone.localdate())
    browser_page.set_viewport_size(SMALL_PHONE)
    _sign_in(browser_page, live_server)
    assert browser_page.locator(".card__title").count() == 3
    assert scroll_width(browser_page) <= SMALL_PHONE["width"]
    assert browser_page.evaluate(SMALL_TARGETS_JS) == []
    # The stylesheet loaded from our own origin (CSP allows nothing else).
    font = browser_page.evaluate("getComputedStyle(document.body).fontFamily")
    assert font.startswith("system-ui")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/", "/help/", "/accounts/login/", "/accounts/signup/"])
def test_public_pages_fit_a_360px_phone(browser_page, live_server, path):
    browser_page.set_viewport_size(SMALL_PHONE)
    browser_page.goto(f"{live_server.url}{path}")
    assert scroll_width(browser_page) <= SMALL_PHONE["width"]
    assert browser_page.evaluate(SMALL_TARGETS_JS) == []
