"""The collections queue on a 1280 x 800 desktop (staff-console review): it fits without
sideways scrolling and shows each borrower's name and phone; the loan's page, the staff home
page and a refused page are screenshotted for a person to look at (/tmp/shots)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory, LoanLinkFactory, UserFactory
from test_staff_journey_browser import shot, sign_in, staff_member

from accounts.roles import SUPERVISOR, SUPPORT_AGENT, staff_roles_sync
from loans.collections import collections_run, contact_note_add, promise_add

DESKTOP = {"width": 1280, "height": 800}
NOV_24 = dt.date(2026, 11, 24)


def _late_loans(agent):
    for n in range(3):
        loan = LoanFactory(
            loan_number=f"DA-10{n}871",
            principal_balance=Decimal("21743.46"),
            interest_accrued_through=dt.date(2026, 10, 5),
            paid_toward_installments=9 * Decimal("483.32"),
        )
        borrower = UserFactory(full_name=f"Dana Alvarez-Montgomery {n}", phone="(555) 309-1144")
        LoanLinkFactory(loan=loan, user=borrower, role="borrower")
        contact_note_add(
            loan_id=loan.pk, channel="call", outcome="left_message", text="Voicemail", actor=agent
        )
        promise_add(
            loan_id=loan.pk,
            promised_date=dt.date(2026, 12, 4),
            amount=Decimal("1573.59"),
            actor=agent,
            on=NOV_24,
        )
    collections_run(on=NOV_24)
    return loan


def _no_sideways_scroll(page) -> bool:
    """Neither the page nor the results table (the admin scrolls it on its own) is wider than
    what shows."""
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth && "
        "[...document.querySelectorAll('#changelist .results')]"
        ".every(el => el.scrollWidth <= el.clientWidth)"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_queue_fits_1280_px_and_names_each_borrower(_chromium, live_server):
    from django.apps import apps

    staff_roles_sync(apps)
    agent, device = staff_member(SUPPORT_AGENT, "agent@lender.example")
    supervisor, _ = staff_member(SUPERVISOR, "sup@lender.example")
    with time_machine.travel(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC), tick=True):
        loan = _late_loans(supervisor)
        context = _chromium.new_context(viewport=DESKTOP)
        page = context.new_page()
        sign_in(page, live_server.url, agent.email, device=device)
        shot(page, "h13u-staff-home")

        page.goto(f"{live_server.url}/admin/loans/delinquencysnapshot/")
        shot(page, "h13u-collections-queue")
        text = page.inner_text("#changelist")
        assert _no_sideways_scroll(page)
        assert "Dana Alvarez-Montgomery 2" in text and "(555) 309-1144" in text
        assert "$1,573.59 by 2026-12-04" in text and "3 loans past due" in text

        page.goto(f"{live_server.url}/admin/loans/loan/{loan.pk}/change/")
        shot(page, "h13u-loan-page")
        page.click("text=Add note")
        assert page.input_value("#id_loan_number") == loan.loan_number
        shot(page, "h13u-add-note")

        page.goto(f"{live_server.url}/admin/loans/accountflag/add/")
        shot(page, "h13u-forbidden")
        assert "loans.manage_account_flags" in page.inner_text("#content")

        page.goto(f"{live_server.url}/admin/payments/payment/")
        shot(page, "h13u-payments")
        context.close()
