# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""The autopay pages on a small phone (360 px): no sideways scrolling, 44 px tap targets.
With AUTOPAY_SHOTS=/some/dir, each page is also saved as a screenshot at 390 and 360 wide."""

import os
from pathlib import Path

import pytest
from autopay_fixtures import at, enroll, inline_charges  # noqa: F401
from django.urls import reverse
from factories import TEST_PASSWORD
from phone_helpers import PHONE, SMALL_PHONE, SMALL_TARGETS_JS, scroll_width

SHOTS = os.environ.get("AUTOPAY_SHOTS")


def _check(page, name: str) -> None:
    for size in (PHONE, SMALL_PHONE):
        page.set_viewport_size(size)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{size['width']}.png", full_page=True)
    assert scroll_width(page) <= SMALL_PHONE["width"], name
    assert page.evaluate(SMALL_TARGETS_JS) == [], name


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_autopay_pages_fit_a_360px_phone(
    browser_page, live_server, borrower, linked_loan, add_card
):
    add_card("4242424242424242")
    add_card("5555555555554444")
    page, base = browser_page, live_server.url
    page.goto(f"{base}/accounts/login/")  # the real sign-in form: a recent password sign-in
    page.fill("input[name=login]", borrower.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(base + reverse("payments:autopay_setup", args=[linked_loan.pk]))
    _check(page, "setup")
    page.check("input[name=amount_rule][value=fixed]")
    page.fill("input[name=fixed_amount]", "12abc")
    page.check("input[name=schedule][value=monthly_day]")
    page.click("text=Review autopay")
    assert page.locator(".field__error").count() >= 2
    _check(page, "setup-errors")

    page.check("input[name=amount_rule][value=installment]")
    page.check("input[name=schedule][value=monthly_due]")
    page.fill("input[name=fixed_amount]", "")
    page.click("text=Review autopay")
    page.wait_for_url("**/review/")
    _check(page, "review")

    page.click("text=I authorize autopay")
    page.wait_for_url("**/autopay/plan/*/")
    _check(page, "manage")
    page.click("text=Pause autopay")
    page.wait_for_url("**/autopay/plan/*/")
    _check(page, "manage-paused")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_payment_waiting_for_an_earlier_one_reads_so_on_a_360px_phone(
    browser_page, live_server, borrower, linked_loan, add_card, enroll
):
    """The plan's recent payments name a WAITING debit "Waiting for an earlier payment" (not
    "Waiting to retry": it was never sent) and still fit a small phone."""
    import datetime as dt

    from payments.autopay import engine
    from payments.models import AutopayDebit

    card = add_card("4242424242424242")
    plan = enroll(linked_loan, card, now=at(dt.date(2026, 11, 24), 9), amount_rule="due")
    engine.autopay_schedule_due(on=dt.date(2027, 1, 11))  # Dec 5 and Jan 5
    dec, jan = AutopayDebit.objects.filter(plan=plan).order_by("period_key")
    dec.status, dec.attempts, dec.reason = "retry", 1, "insufficient_funds"
    dec.save()
    jan.status, jan.reason = "waiting", "waits for the payment of Dec 5, 2026"
    jan.save()
    page, base = browser_page, live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", borrower.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(base + reverse("payments:autopay_manage", args=[plan.pk]))

    rows = page.locator("#autopay-history ~ table tr").all_inner_texts()
    assert [" ".join(r.split()) for r in rows] == [
        "Jan 5, 2027 Waiting for an earlier payment",
        "Dec 4, 2026 Waiting to retry",
    ]
    _check(page, "manage-waiting")
