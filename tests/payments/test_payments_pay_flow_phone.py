"""The pay flow as a phone user walks it (issue 11, items 2-4): Change keeps the draft, adding
a method returns to the payment with it chosen, and fields show only for their choice."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from shared_helpers import SANDBOX_ROUTING

from payments.models import PaymentMethod

pytestmark = pytest.mark.django_db

# Tuesday 2026-11-24, 10:00 in New York: a business day, before the 17:00 cut-off.
BEFORE_CUTOFF = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(BEFORE_CUTOFF, tick=False):
        yield


def _checked(page: str, name: str) -> list[str]:
    return [
        re.search(r'value="([^"]*)"', tag).group(1)
        for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
        if " checked" in tag
    ]


def _value(page: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return value.group(1) if value else None


# --- item 2: Change keeps the draft ---------------------------------------------------------


def test_each_review_row_has_a_change_link_that_returns_with_everything_kept(
    borrower_client, linked_loan, add_card
):
    first, second = add_card("4242424242424242"), add_card("5555555555554444")
    pay_url = reverse("payments:pay", args=[linked_loan.pk])
    review = borrower_client.post(
        pay_url,
        {
            "amount_choice": "other",
            "other_amount": "123.45",
            "method": str(second.pk),
            "pay_on": "2026-12-04",
        },
    )["Location"]
    key = review.rstrip("/").rsplit("/", 1)[-1]
    page = borrower_client.get(review).content.decode()
    links = re.findall(
        r'<a[^>]*href="([^"]*)"[^>]*>Change<span class="visually-hidden">([^<]*)<', page
    )
    assert links == [
        (f"{pay_url}?draft={key}#amount", " the amount"),
        (f"{pay_url}?draft={key}#method", " the payment method"),
        (f"{pay_url}?draft={key}#date", " the date"),
    ]
    form = borrower_client.get(f"{pay_url}?draft={key}").content.decode()
    assert _checked(form, "amount_choice") == ["other"]
    assert _value(form, "other_amount") == "123.45"
    assert _checked(form, "method") == [str(second.pk)]
    assert _value(form, "pay_on") == "2026-12-04"
    assert first.pk != second.pk


def test_a_draft_of_another_loan_or_an_unknown_key_is_ignored(
    borrower_client, linked_loan, add_card
):
    add_card("4242424242424242")
    pay_url = reverse("payments:pay", args=[linked_loan.pk])
    form = borrower_client.get(f"{pay_url}?draft=nope").content.decode()
    assert _checked(form, "amount_choice") == ["due"] and _value(form, "pay_on") == "2026-11-24"


# --- item 3: adding a method returns to the payment ------------------------------------------


def test_the_pay_page_links_to_methods_with_a_way_back(borrower_client, linked_loan, add_card):
    add_card("4242424242424242")
    pay_url = reverse("payments:pay", args=[linked_loan.pk])
    page = borrower_client.get(pay_url).content.decode()
    assert f'href="/payments/methods/?next={pay_url.replace("/", "%2F")}"' in page
    methods = borrower_client.get(f"/payments/methods/?next={pay_url}").content.decode()
    assert f'href="/payments/methods/add/card/?next={pay_url.replace("/", "%2F")}"' in methods
    assert f'href="/payments/methods/add/bank/?next={pay_url.replace("/", "%2F")}"' in methods


def test_a_card_added_from_the_payment_is_chosen_when_back_on_the_pay_page(
    recent_client, linked_loan, add_card
):
    add_card("4242424242424242")
    pay_url = reverse("payments:pay", args=[linked_loan.pk])
    response = recent_client.post(
        "/payments/methods/add/card/",
        {
            "number": "5555555555554444",
            "expiry": "12/30",
            "cvc": "864",
            "postal_code": "10001",
            "next": pay_url,
        },
    )
    new = PaymentMethod.objects.get(last4="4444")
    assert response["Location"] == f"{pay_url}?method={new.pk}"
    page = recent_client.get(response["Location"]).content.decode()
    assert _checked(page, "method") == [str(new.pk)]


def test_a_bank_account_added_from_the_payment_says_it_is_saved_and_waits_for_deposits(
    recent_client, linked_loan
):
    pay_url = reverse("payments:pay", args=[linked_loan.pk])
    response = recent_client.post(
        "/payments/methods/add/bank/",
        {
            "holder_name": "Pat Doe",
            "routing_number": SANDBOX_ROUTING,
            "account_number": "000123456789",
            "account_number_confirm": "000123456789",
            "account_type": "checking",
            "next": pay_url,
        },
    )
    bank = PaymentMethod.objects.get()
    assert response["Location"] == pay_url
    page = recent_client.get(pay_url).content.decode()
    assert "Add a way to pay" not in page
    assert "Your bank account is saved" in page
    assert "It can pay once you confirm the two small deposits" in page
    verify = reverse("payments:verify_bank", args=[bank.pk])
    assert f'href="{verify}?next={pay_url.replace("/", "%2F")}"' in page


def test_confirming_deposits_from_the_payment_returns_to_it_with_the_account_chosen(
    borrower_client, linked_loan, add_bank
):
    bank = add_bank("000123456789", verified=False)
    pay_url = reverse("payments:pay", args=[linked_loan.pk])
    verify = reverse("payments:verify_bank", args=[bank.pk])
    form = borrower_client.get(f"{verify}?next={pay_url}").content.decode()
    assert f'name="next" value="{pay_url}"' in form
    response = borrower_client.post(
        verify, {"amount_1": "0.32", "amount_2": "0.45", "next": pay_url}
    )
    assert response["Location"] == f"{pay_url}?method={bank.pk}"
    page = borrower_client.get(response["Location"]).content.decode()
    assert _checked(page, "method") == [str(bank.pk)]


def test_an_unsafe_next_after_confirming_deposits_goes_to_the_methods_list(
    borrower_client, add_bank
):
    bank = add_bank("000123456789", verified=False)
    verify = reverse("payments:verify_bank", args=[bank.pk])
    response = borrower_client.post(
        verify, {"amount_1": "0.32", "amount_2": "0.45", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/payments/methods/"


# --- item 4: fields for one choice only ------------------------------------------------------


def test_the_other_amount_is_labelled_for_its_choice_not_optional(
    borrower_client, linked_loan, add_card
):
    add_card("4242424242424242")
    page = borrower_client.get(reverse("payments:pay", args=[linked_loan.pk])).content.decode()
    label = re.search(r'<label for="id_other_amount">(.*?)</label>', page, re.S).group(1)
    assert label == (
        'Other amount <span class="muted" data-when-chosen>(if you chose Other amount)</span>'
    )
    assert "(optional)" not in page
    assert re.search(r'<div class="field"[^>]*data-shown-for="amount_choice=other"', page)
    assert re.search(r'<script src="/static/js/shown-for\.js[^"]*" defer></script>', page)


def test_other_chosen_without_an_amount_is_refused_next_to_the_field(
    borrower_client, linked_loan, add_card
):
    card = add_card("4242424242424242")
    response = borrower_client.post(
        reverse("payments:pay", args=[linked_loan.pk]),
        {"amount_choice": "other", "method": str(card.pk), "pay_on": "2026-11-24"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_other_amount_error">Enter the amount you want to pay.<' in page


def test_amount_due_and_monthly_payment_are_one_choice_when_they_are_equal(
    borrower_client, linked_loan, add_card
):
    add_card("4242424242424242")
    page = borrower_client.get(reverse("payments:pay", args=[linked_loan.pk])).content.decode()
    values = re.findall(r'<input type="radio" name="amount_choice" value="([^"]*)"', page)
    assert values == ["due", "payoff", "other"]
    assert "Amount due (your monthly payment) — $483.32" in page
