"""Issue 13, the proof on a desktop: a support agent signs in with the second factor, finds a
borrower by card last 4, posts a check and requests a fee waiver above the lender's threshold;
a supervisor (another browser) signs in with the second factor and approves it; the borrower's
payment history shows the check and the waived fee."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from factories import (
    TEST_PASSWORD,
    LoanFactory,
    LoanLinkFactory,
    UserFactory,
    totp_code,
    totp_device_for,
)

from accounts.roles import SUPERVISOR, SUPPORT_AGENT, staff_roles_sync
from loans.models import Loan, LoanPosting, StaffRequest
from payments.models import Payment

SHOTS = Path("/tmp/shots")
DESKTOP = {"width": 1366, "height": 900}


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def staff_member(role, email):
    from django.contrib.auth.models import Group

    user = UserFactory(email=email, is_staff=True, full_name=role)
    user.groups.add(Group.objects.get(name=role))
    return user, totp_device_for(user)


def sign_in(page, base, email, *, device=None, next_url="/admin/"):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_login", email)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button:has-text('Sign in')")
    if device is not None:
        page.wait_for_selector("h1:has-text('Security code')")
        page.fill("#id_code", totp_code(device))
        page.click("button:has-text('Continue')")
    page.wait_for_url(f"{base}{next_url}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_posts_a_check_and_requests_a_waiver_a_supervisor_approves_it(
    _chromium, live_server, borrower, add_card
):
    staff_roles_sync(apps)  # a transactional test starts from an emptied database
    loan = LoanFactory(
        loan_number="DSK-2001",
        ten_paid=True,
        unpaid_fees=Decimal("500.00"),
    )
    LoanLinkFactory(user=borrower, loan=loan)
    add_card("4242424242424242")
    agent, agent_device = staff_member(SUPPORT_AGENT, "agent@lender.example")
    supervisor, supervisor_device = staff_member(SUPERVISOR, "supervisor@lender.example")
    base = live_server.url

    agent_context = _chromium.new_context(viewport=DESKTOP)
    page = agent_context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, agent.email, device=agent_device)
    page.wait_for_selector("#staff-home-title")

    # Find the borrower by the card's last 4.
    page.fill("#staff-search-q", "4242")
    page.click("#content-main input[type=submit], .staff-home__search input[type=submit]")
    page.wait_for_selector("table[data-section=methods]")
    results = page.content()
    assert "Visa •••• 4242" in results and borrower.email in results
    assert "4242424242424242" not in results
    shot(page, "staff-search-desktop")
    page.click("table[data-section=loans] a:has-text('DSK-2001')")
    page.wait_for_selector("text=Waive a fee")

    # Post a check: $100.00, under the lender's $2,500.00 limit for recording money, so the agent
    # records it alone (received_four_eyes_threshold).
    page.goto(f"{base}/admin/payments/payment/record/")
    page.fill("#id_loan_number", "DSK-2001")
    page.select_option("#id_channel", "check")
    page.fill("#id_amount", "100.00")
    page.fill("#id_reference", "1234")
    page.fill("#id_reason", "Check received by mail")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Recorded")
    check = Payment.objects.get(loan=loan, channel="check")
    assert (check.status, check.amount, check.channel_reference) == (
        "posted",
        Decimal("100.00"),
        "1234",
    )

    # Request a $150.00 waiver: above the lender's $100.00 threshold, and an agent never acts alone.
    page.goto(f"{base}/admin/loans/loan/{loan.pk}/change/")
    page.click("a:has-text('Waive a fee')")
    page.fill("#id_amount", "150.00")
    page.fill("#id_reason", "Hardship: borrower lost their job in October")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Request recorded")
    request = StaffRequest.objects.get(loan=loan, status="pending")
    assert (request.kind, request.status, request.amount) == (
        "waive_fee",
        "pending",
        Decimal("150.00"),
    )
    agent_context.close()

    # A supervisor, in another browser, approves it.
    supervisor_context = _chromium.new_context(viewport=DESKTOP)
    page = supervisor_context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, supervisor.email, device=supervisor_device)
    requests_tile = page.locator("[data-figure=requests]").inner_text()
    assert "1\n" in requests_tile and "$150.00 waiting for a supervisor" in requests_tile
    assert "$100.00" in page.locator("table[data-table=channels]").inner_text()
    shot(page, "staff-dashboard-desktop")
    page.goto(f"{base}/admin/loans/staffrequest/{request.pk}/change/")
    page.click("input[value='Approve and execute']")
    page.wait_for_selector("text=Approved and done")
    supervisor_context.close()

    request.refresh_from_db()
    waiver = LoanPosting.objects.get(loan=loan, kind="fee_waiver")
    assert (request.status, request.decided_by_id, waiver.fees) == (
        "executed",
        supervisor.pk,
        Decimal("150.00"),
    )
    loan.refresh_from_db()
    # $500.00 of fees: the check paid $100.00 of them first, the waiver $150.00.
    assert loan.unpaid_fees == Decimal("250.00")

    # The borrower's history shows both.
    borrower_context = _chromium.new_context(viewport=DESKTOP)
    page = borrower_context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, borrower.email, next_url="/payments/history/")
    html = page.content()
    assert "Check #1234" in html and check.reference in html
    fees = page.locator("[data-fee-lines]").inner_text()
    assert "Fee waived" in fees and "Loan DSK-2001" in fees and "$150.00" in fees
    shot(page, "borrower-history-desktop")
    borrower_context.close()
    assert Loan.objects.count() == 1 and Payment.objects.filter(loan=loan).count() == 1
