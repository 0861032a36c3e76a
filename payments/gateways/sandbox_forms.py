"""Card-entry fields for the sandbox. A real processor supplies hosted fields instead, so card
numbers never reach our servers; with the sandbox they pass through memory only, to tokenize."""

import re

from django import forms

from ismartpay.core.digits import ascii_digits, refuse_non_ascii_digits

from ..cards import card_brand, cvc_length, luhn_valid, parse_expiry
from .base import CardInput

EXPIRY_MESSAGE = "Enter the month and year from the card, like 04/29 (04 = April, 29 = 2029)."


class SandboxCardForm(forms.Form):
    number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    expiry = forms.CharField(
        label="Expiry (MM/YY)",
        max_length=9,
        help_text="Month and year, like 04/29 or 0429.",
        # data-card-expiry: static/js/card-expiry.js adds the "/" as the borrower types (a
        # phone's number pad has none); without JavaScript the server reads "0429" as well.
        widget=forms.TextInput(
            attrs={
                "autocomplete": "cc-exp",
                "inputmode": "numeric",
                "placeholder": "MM/YY",
                "data-card-expiry": "",
            }
        ),
    )
    cvc = forms.CharField(
        label="Security code (CVC)",
        max_length=4,
        widget=forms.PasswordInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
        help_text="The 3 digits on the back; 4 on the front for American Express.",
    )
    postal_code = forms.CharField(
        label="Billing ZIP code",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )

    def clean_number(self) -> str:
        message = "Check the card number: it is not a valid card number."
        number = ascii_digits(self.cleaned_data["number"], message=message)
        if not luhn_valid(number):
            raise forms.ValidationError(message)
        if card_brand(number) is None:
            raise forms.ValidationError(
                "We accept Visa, Mastercard, American Express and Discover."
            )
        return number

    def clean_expiry(self) -> tuple[int, int]:
        expiry = parse_expiry(refuse_non_ascii_digits(self.cleaned_data["expiry"]))
        if expiry is None:
            raise forms.ValidationError(EXPIRY_MESSAGE)
        return expiry

    def clean_postal_code(self) -> str:
        code = refuse_non_ascii_digits(self.cleaned_data["postal_code"].strip())
        if not re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", code):
            raise forms.ValidationError("Enter a 5-digit ZIP code.")
        return code

    def clean_cvc(self) -> str:
        return refuse_non_ascii_digits(self.cleaned_data["cvc"].strip())

    def clean(self):
        cleaned = super().clean()
        number, cvc = cleaned.get("number"), cleaned.get("cvc")
        if cvc is None:  # already refused (non-ASCII digits or empty)
            return cleaned
        if number:
            length = cvc_length(card_brand(number))
            if not re.fullmatch(rf"[0-9]{{{length}}}", cvc):
                self.add_error("cvc", f"Enter the {length}-digit security code.")
        elif not re.fullmatch(r"[0-9]{3,4}", cvc):
            # The number is wrong too: still say what is wrong here, all errors at once.
            self.add_error("cvc", "Enter the 3 or 4-digit security code.")
        return cleaned

    def card_input(self) -> CardInput:
        month, year = self.cleaned_data["expiry"]
        return CardInput(
            number=self.cleaned_data["number"],
            exp_month=month,
            exp_year=year,
            cvc=self.cleaned_data["cvc"],
            postal_code=self.cleaned_data["postal_code"],
        )
