"""Staff free text never stores a card number (staff-console review: a card typed into a note,
a reason or "who said yes" was stored, audited and shown in full)."""

import pytest

from ismartpay.core.free_text import CARD_IN_TEXT, holds_card_number


@pytest.mark.parametrize(
    "text",
    [
        "Dana, card 4242424242424242",
        "paid with 4242 4242 4242 4242 yesterday",
        "amex 3782-822463-10005",
        "4000.0566.5566.5556",
    ],
)
def test_a_card_number_however_typed_is_found(text):
    assert holds_card_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "card ending 4242",
        "check #1234567",
        "loan DA-099412, VIN 1HGCM82633A004352",
        "ref 1234567890123456",  # 16 digits that fail the Luhn check: an id, not a card
        "",
    ],
)
def test_ordinary_notes_pass(text):
    assert not holds_card_number(text)


def test_a_contact_note_with_a_card_number_is_refused_next_to_the_field():
    from loans.admin_collections import ContactNoteForm

    form = ContactNoteForm(
        {"channel": "call", "outcome": "reached", "text": "she read me 4242424242424242"}
    )
    assert not form.is_valid()
    assert form.errors["text"] == [CARD_IN_TEXT]


@pytest.mark.django_db
def test_the_phone_form_refuses_a_card_number_in_who_said_yes_but_takes_the_card_field():
    from payments.forms.staff_money import PhonePaymentForm

    form = PhonePaymentForm(
        {
            "loan_number": "DA-099412",
            "amount": "100.00",
            "kind": "card",
            "card_number": "4242 4242 4242 4242",
            "card_exp": "12/30",
            "card_cvc": "123",
            "authorized_by": "Dana, card 4242424242424242",
            "authorization_read": "on",
            "idempotency_key": "pay_x",
        }
    )
    assert not form.is_valid()
    assert form.errors["authorized_by"] == [CARD_IN_TEXT]
    assert "card_number" not in form.errors
