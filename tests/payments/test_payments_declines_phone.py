"""A declined payment as the borrower sees it (issue 11, item 5): an attempt reference, not a
confirmation number; Try again is one tap; no raw codes; history dates the attempt on the day
it happened, in the same words as the CSV."""

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.urls import reverse

from payments.models import Payment

pytestmark = pytest.mark.django_db

# Tuesday 2026-11-24, 18:00 in New York: after the 17:00 cut-off, so a payment made now
# would count on Wednesday the 25th.
AFTER_CUTOFF = dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _tuesday_evening():
    with time_machine.travel(AFTER_CUTOFF, tick=False):
        yield


def _pay(client, loan, method):
    review = client.post(
        reverse("payments:pay", args=[loan.pk]),
        {
            "amount_choice": "other",
            "other_amount": "250.00",
            "method": str(method.pk),
            "pay_on": "2026-11-24",
        },
    )["Location"]
    shown = re.search(
        r'name="shown_effective" value="([^"]*)"', client.get(review).content.decode()
    )
    return client.post(review, {"shown_effective": shown.group(1)})


def _checked_method(page: str) -> list[str]:
    return [
        re.search(r'value="([^"]*)"', tag).group(1)
        for tag in re.findall(r'<input[^>]*name="method"[^>]*>', page)
        if " checked" in tag
    ]


def test_a_declined_payment_shows_an_attempt_reference_not_a_confirmation_number(
    borrower_client, linked_loan, add_card
):
    response = _pay(borrower_client, linked_loan, add_card("4000000000009995"))
    payment = Payment.objects.get()
    page = borrower_client.get(response["Location"]).content.decode()
    assert "Confirmation number" not in page
    assert re.search(rf"Attempt reference</p>\s*<p class=\"reference\">{payment.reference}<", page)


def test_try_again_after_a_soft_decline_chooses_the_same_card(
    borrower_client, linked_loan, add_card
):
    add_card("4242424242424242")
    declined = add_card("4000000000009995")  # insufficient_funds: may work a moment later
    _pay(borrower_client, linked_loan, declined)
    page = borrower_client.get(reverse("payments:pay", args=[linked_loan.pk])).content.decode()
    assert _checked_method(page) == [str(declined.pk)]


def test_try_again_after_a_card_specific_decline_chooses_another_method(
    borrower_client, linked_loan, add_card
):
    other = add_card("4242424242424242")
    declined = add_card("4000000000000069")  # expired_card: the same card fails again
    _pay(borrower_client, linked_loan, declined)
    page = borrower_client.get(reverse("payments:pay", args=[linked_loan.pk])).content.decode()
    assert _checked_method(page) == [str(other.pk)]


def test_the_help_page_shows_no_raw_decline_code(borrower_client, linked_loan, add_card):
    declined = add_card("4000000000009995")
    _pay(borrower_client, linked_loan, declined)
    payment = Payment.objects.get()
    page = borrower_client.get(
        reverse("payments:troubleshoot", args=[payment.reference])
    ).content.decode()
    assert "insufficient_funds" not in page and "Code:" not in page
    assert "Not enough funds" in page


def test_history_dates_a_declined_attempt_on_the_day_it_happened_in_the_csv_words(
    borrower_client, linked_loan, add_card
):
    _pay(borrower_client, linked_loan, add_card("4000000000009995"))
    payment = Payment.objects.get()
    assert payment.effective_date == dt.date(2026, 11, 25)  # what it would have counted on
    page = borrower_client.get(reverse("payments:history")).content.decode()
    assert re.search(
        r'<p class="card__subtitle">Tried <span class="nowrap">Nov 24, 2026</span>', page
    )
    assert "Nov 25, 2026" not in page
    assert re.search(r'class="badge[^"]*"[^>]*>\s*Declined\s*<', page)
    text = borrower_client.get("/payments/history.csv").getvalue().decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    assert header[-2:] == ["status_shown", "date_shown"]
    assert row[-2:] == ["Declined", "2026-11-24"]
    assert row[header.index("status")] == "failed"  # the stable code column is unchanged
