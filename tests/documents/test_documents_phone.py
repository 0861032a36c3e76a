"""Statement pages on a phone (390 × 844): no sideways scrolling. Screenshots land in
/tmp/shots-documents/ for a human to look at."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from factories import LoanLinkFactory
from phone_helpers import scroll_width

from documents.services import statement_make
from loans.fees import loan_waive_fee
from loans.services import loan_assess_late_fees, loan_post_payment

SHOTS = Path("/tmp/shots-documents")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_statement_list_and_page_fit_a_phone(browser_page, live_server):
    link = LoanLinkFactory()
    loan = link.loan
    loan_assess_late_fees(loan_id=loan.pk, on=dt.date(2026, 2, 16))
    loan_waive_fee(
        loan_id=loan.pk,
        amount=Decimal("10.00"),
        reason="goodwill",
        actor=None,
        on=dt.date(2026, 2, 20),
    )
    loan_post_payment(
        loan_id=loan.pk,
        amount=Decimal("500.00"),
        effective_date=dt.date(2026, 3, 2),
        idempotency_key="a",
    )
    statement_make(loan_id=loan.pk, cycle_number=1, on=dt.date(2026, 1, 16))
    statement_make(loan_id=loan.pk, cycle_number=2, on=dt.date(2026, 2, 13))
    st, _ = statement_make(loan_id=loan.pk, cycle_number=3, on=dt.date(2026, 3, 16))
    client = Client()
    client.force_login(link.user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page = browser_page
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    SHOTS.mkdir(exist_ok=True)
    for name, path in (
        ("statements", f"/documents/loans/{loan.pk}/statements/"),
        ("statement", f"/documents/loans/{loan.pk}/statements/{st.pk}/"),
        ("paperless", "/documents/paperless/"),
    ):
        page.goto(f"{live_server.url}{path}")
        width = scroll_width(page)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        assert width <= 390, (name, width)
