"""A borrower's money pages are as of the lender's business date, as the pay form, the nightly
run and the late fees are (ismartpay/core/today.py): around midnight, a lender outside the
default time zone (New York) is on another day than the server's local date, and the
dashboard, the loan page, the payoff letter, the what-if page and account activity said
"Past due" on the lender's due date (or "Due soon" once the lender's day had gone past it)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from factories import LenderFactory, LoanFactory, LoanLinkFactory

from documents.models import YearEndStatement
from loans import calendar_feeds
from loans.selectors import loan_what_if
from loans.simulation import WhatIf

pytestmark = pytest.mark.django_db

# 06:30 UTC on Dec 6 is 01:30 on Dec 6 in New York and 22:30 on Dec 5 in Los Angeles.
LA_EVENING_OF_DEC_5 = time_machine.travel(
    dt.datetime(2026, 12, 6, 6, 30, tzinfo=dt.UTC), tick=False
)
# 04:30 UTC on Dec 6 is 23:30 on Dec 5 in New York and 00:30 on Dec 6 in Puerto Rico (AST).
# 06:30 UTC on Jan 1, 2027 is 01:30 on Jan 1 in New York and 22:30 on Dec 31 in Los Angeles.
LA_NEW_YEARS_EVE = time_machine.travel(dt.datetime(2027, 1, 1, 6, 30, tzinfo=dt.UTC), tick=False)
PR_JUST_AFTER_MIDNIGHT_DEC_6 = time_machine.travel(
    dt.datetime(2026, 12, 6, 4, 30, tzinfo=dt.UTC), tick=False
)


def _loan_of(client, borrower, zone: str):
    """The demo loan (installments 1-10 paid, the 11th, $483.32, due Dec 5) of a lender in
    `zone`, linked to `borrower`, signed in now (sessions expire)."""
    loan = LoanFactory(ten_paid=True, lender=LenderFactory(name=zone, timezone=zone))
    LoanLinkFactory(user=borrower, loan=loan)
    client.force_login(borrower)
    return loan


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


@LA_EVENING_OF_DEC_5
def test_on_a_western_lenders_due_date_the_pages_say_due_not_past_due(client, borrower):
    loan = _loan_of(client, borrower, "America/Los_Angeles")
    for page in ("/loans/", f"/loans/{loan.pk}/"):
        text = _text(client.get(page))
        assert "Past due" not in text, page
        assert "Amount due by Dec 5, 2026" in text, page
    # Payoff today: interest through Dec 5 (30 days on $21,335.10 at 6 %), not Dec 6's.
    text = _text(client.get(f"/loans/{loan.pk}/"))
    assert '<dt>Payoff today</dt><dd><span class="money">$21,440.31</span></dd>' in text


@PR_JUST_AFTER_MIDNIGHT_DEC_6
def test_just_after_midnight_at_an_eastern_lender_the_pages_say_past_due(client, borrower):
    loan = _loan_of(client, borrower, "America/Puerto_Rico")
    for page in ("/loans/", f"/loans/{loan.pk}/"):
        text = _text(client.get(page))
        assert "Past due 1 day" in text, page
        assert "Amount due now" in text, page


@LA_EVENING_OF_DEC_5
def test_the_dashboard_shows_each_loan_as_of_its_own_lenders_date(client, borrower):
    west = _loan_of(client, borrower, "America/Los_Angeles")
    east = _loan_of(client, borrower, "America/New_York")
    text = _text(client.get("/loans/"))
    cards = {pk: text[text.index(f'id="loan-{pk}"') :][:1500] for pk in (west.pk, east.pk)}
    assert "Past due" not in cards[west.pk]
    assert "Past due 1 day" in cards[east.pk]


@LA_EVENING_OF_DEC_5
def test_the_payoff_quote_and_letter_start_from_the_lenders_date(client, borrower):
    loan = _loan_of(client, borrower, "America/Los_Angeles")
    # Dec 5 is the lender's today: a quote good through it is accepted, not "in the past".
    text = _text(client.get(f"/loans/{loan.pk}/?good_through=2026-12-05"))
    assert "good through Saturday, Dec 5, 2026" in text
    letter = client.get(f"/loans/{loan.pk}/payoff-letter.pdf?good_through=2026-12-05")
    assert letter.status_code == 200
    assert letter["Content-Type"] == "application/pdf"


@LA_NEW_YEARS_EVE
def test_on_a_western_lenders_new_years_eve_interest_paid_is_this_years(client, borrower):
    loan = _loan_of(client, borrower, "America/Los_Angeles")
    for page in (f"/loans/{loan.pk}/", f"/payments/loan/{loan.pk}/activity/"):
        text = _text(client.get(page))
        assert "<dt>Interest paid in 2026</dt>" in text, page


@LA_EVENING_OF_DEC_5
def test_what_if_starts_from_the_lenders_date(client, borrower):
    loan = _loan_of(client, borrower, "America/Los_Angeles")
    asked = WhatIf(extra_monthly=Decimal("100.00"))
    on_dec_5 = loan_what_if(loan, today=dt.date(2026, 12, 5), what_if=asked)
    on_dec_6 = loan_what_if(loan, today=dt.date(2026, 12, 6), what_if=asked)
    assert on_dec_5.interest_saved != on_dec_6.interest_saved  # so the page tells them apart
    text = _text(client.get(f"/loans/{loan.pk}/what-if/", {"extra_monthly": "100"}))
    assert f"${on_dec_5.interest_saved:,}" in text


def test_the_calendar_feed_keeps_the_lenders_due_date_while_it_is_still_today_there(borrower):
    # 22:30 on Dec 5 in LA: the installment is due today at the lender (the dashboard and the
    # pay form say "Amount due by Dec 5"); the feed took New York's Dec 6 and dropped it
    # (the attacker review helper-80).
    loan = LoanFactory(
        ten_paid=True, lender=LenderFactory(name="LA", timezone="America/Los_Angeles")
    )
    LoanLinkFactory(user=borrower, loan=loan)
    token = calendar_feeds.calendar_feed_rotate(user=borrower)
    with LA_EVENING_OF_DEC_5:
        body = Client().get(reverse("loan_calendar_feed", args=[token])).content.decode()
    assert f"due-{loan.pk}-11@ismartpay" in body
    assert "DTSTART;VALUE=DATE:20261205" in body


def test_a_year_end_interest_statement_is_not_made_before_the_lenders_year_is_over(
    client, borrower
):
    # 22:30 on Dec 31 in LA: the lender's 2026 is not over, but the statement was made from New
    # York's Jan 1 and kept (made once, never remade): a payment the lender posts later on its
    # Dec 31 would be missing from its 2026 interest (the attacker review helper-80).
    with LA_NEW_YEARS_EVE:
        loan = _loan_of(client, borrower, "America/Los_Angeles")
        client.post(f"/documents/loans/{loan.pk}/interest/", {"year": 2026})
    assert YearEndStatement.objects.filter(loan=loan, year=2026).count() == 0
    with LA_NEW_YEARS_EVE:  # the statements page offers the lender's last year, 2025
        text = _text(client.get(f"/documents/loans/{loan.pk}/statements/"))
    assert "Get my 2025 interest statement" in text


@pytest.mark.parametrize("typed", ["US/Pacifc", "", "Pacific Time"])
def test_a_lenders_time_zone_that_is_not_a_zone_name_is_refused_at_the_field(typed):
    # The pages read every loan's lender's zone now: a typo made the whole dashboard a 500 for
    # its borrowers (the attacker review helper-80), and "" failed the pay form's cut-off.
    lender = LenderFactory.build(name="Typo Auto", timezone=typed)
    with pytest.raises(ValidationError) as refused:
        lender.full_clean()
    assert refused.value.message_dict["timezone"] == [
        "This field cannot be blank."
        if typed == ""
        else "Enter a time zone name such as America/New_York or America/Los_Angeles."
    ]
    LenderFactory.build(name="West Auto", timezone="America/Los_Angeles").full_clean()
