"""Card-entry fields for the sandbox. A real processor supplies hosted fields instead, so card
numbers never reach our servers; with the sandbox they pass through memory only, to tokenize."""

import re

from django import forms

from ismartpay.core.digits import ascii_digits, refuse_non_ascii_digits

from ..cards import card_brand, cvc_length, luhn_valid
from .base import CardInput


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
        max_length=7,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-exp", "inputmode": "numeric", "placeholder": "MM/YY"}
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
        expiry = refuse_non_ascii_digits(self.cleaned_data["expiry"])
        match = re.fullmatch(r"\s*([0-9]{1,2})\s*/\s*([0-9]{2}|[0-9]{4})\s*", expiry)
        if not match or not 1 <= int(match.group(1)) <= 12:
            raise forms.ValidationError("Enter the expiry as MM/YY, for example 04/29.")
        month, year = int(match.group(1)), int(match.group(2))
        return month, year + 2000 if year < 100 else year

    def clean_postal_code(self) -> str:
        code = refuse_non_ascii_digits(self.cleaned_data["postal_code"].strip())
        if not re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", code):
            raise forms.ValidationError("Enter a 5-digit ZIP code.")
        return code

    def clean_cvc(self) -> str:
        return refuse_non_ascii_digits(self.cleaned_data["cvc"].strip())

    def clean(self):
        cleaned = super().clean()
        number, cvc = cleaned.get("number"), cleaned.get("cvc", "")
        if number and not re.fullmatch(rf"[0-9]{{{cvc_length(card_brand(number))}}}", cvc or ""):
            self.add_error(
                "cvc", f"Enter the {cvc_length(card_brand(number))}-digit security code."
            )
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
