"""Card expiry typed on a phone's number pad (issue 11, item 1): one parser for every card form,
every card-field error reported at once, and never the number or CVC echoed back."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from payments.cards import parse_expiry
from payments.models import PaymentMethod, SandboxToken

pytestmark = pytest.mark.django_db

ADD_CARD = "/payments/methods/add/card/"


@pytest.mark.parametrize(
    "typed", ["1229", "12 29", "12-29", "12/29", "12/2029", "122029", " 12 / 29 ", "12–29"]
)
def test_every_way_a_phone_types_december_2029_is_read_as_12_2029(typed):
    assert parse_expiry(typed) == (12, 2029)


@pytest.mark.parametrize("typed", ["4/29", "0429", "04 29"])
def test_a_one_or_two_digit_month_is_read(typed):
    assert parse_expiry(typed) == (4, 2029)


@pytest.mark.parametrize("typed", ["", "12", "129", "13/29", "00/29", "12/2", "12/202", "ab/cd"])
def test_what_is_not_a_month_and_year_is_none(typed):
    assert parse_expiry(typed) is None


def _year() -> int:
    return (timezone.localdate().year + 3) % 100


def _card(**fields):
    return {
        "number": "4242 4242 4242 4242",
        "expiry": f"12/{_year():02d}",
        "cvc": "864",
        "postal_code": "10001",
        **fields,
    }


@pytest.mark.parametrize("sep", ["", " ", "-"])
def test_a_card_with_expiry_typed_without_a_slash_is_added(recent_client, sep):
    response = recent_client.post(ADD_CARD, _card(expiry=f"12{sep}{_year():02d}"))
    assert response.status_code == 302
    card = PaymentMethod.objects.get()
    assert (card.exp_month, card.exp_year) == (12, 2000 + _year())


def _errors(page: str) -> dict[str, str]:
    return dict(re.findall(r'id="id_(\w+)_error">\s*([^<]*?)\s*<', page))


def test_every_card_field_error_is_reported_at_once(recent_client):
    page = recent_client.post(
        ADD_CARD, _card(number="4242424242424241", expiry="13/29", cvc="1", postal_code="1")
    ).content.decode()
    errors = _errors(page)
    assert set(errors) == {"number", "expiry", "cvc", "postal_code"}
    assert errors["cvc"] == "Enter the 3 or 4-digit security code."
    assert errors["expiry"].startswith("Enter the month and year")
    assert not SandboxToken.objects.exists()


def test_a_wrong_expiry_keeps_zip_and_says_why_number_and_cvc_are_empty(recent_client):
    page = recent_client.post(ADD_CARD, _card(expiry="13/29")).content.decode()
    assert "4242424242424242" not in page and "4242 4242 4242 4242" not in page
    assert 'value="864"' not in page
    assert 'value="10001"' in page and 'value="13/29"' in page
    assert "For your security we cleared the card number and security code" in page


def test_the_expiry_field_is_formatted_by_a_static_script_and_hints_the_formats(recent_client):
    page = recent_client.get(ADD_CARD).content.decode()
    assert re.search(r'<script src="/static/js/card-expiry\.js[^"]*" defer></script>', page)
    assert "data-card-expiry" in page
    assert "<script>" not in page


def test_the_guest_card_form_reads_an_expiry_without_a_slash(client, make_loan):
    loan = make_loan(None, billing_zip="10001")
    client.post(
        "/payments/guest/",
        {
            "lender": loan.lender.pk,
            "loan_number": loan.loan_number,
            "billing_zip": "10001",
            "vin_last6": loan.vin[-6:],
        },
        REMOTE_ADDR="203.0.113.5",
    )
    response = client.post(
        "/payments/guest/",
        {
            "email": "sam@example.com",
            "amount": "50.00",
            "method_kind": "card",
            "card-number": "4242424242424242",
            "card-expiry": f"12{_year():02d}",
            "card-cvc": "864",
            "card-postal_code": "10001",
        },
    )
    assert response.status_code == 302, _errors(response.content.decode())
    assert "/payments/guest/review/" in response["Location"]
    card = PaymentMethod.objects.get()
    assert (card.exp_month, card.exp_year) == (12, 2000 + _year())
    assert dt.date(card.exp_year, card.exp_month, 1) > timezone.localdate()
