"""Forms of the guest payment: find the loan, then pay it by card or bank account."""

import re
from decimal import Decimal

from django import forms

from ismartpay.core.digits import refuse_non_ascii_digits
from ismartpay.core.money import parse_money
from loans.models import Lender

from ..authorizations import GUEST_ACH_TEMPLATE
from ..models import PaymentMethod

LOOKUP_FAILED = (
    "We couldn't find a loan with those details. Check them against your statement and try again."
)
ACH_AUTHORIZATION = GUEST_ACH_TEMPLATE  # the text lives in payments.authorizations


class GuestLookupForm(forms.Form):
    lender = forms.ModelChoiceField(
        label="Lender",
        queryset=Lender.objects.order_by("name"),
        empty_label="Choose your lender",
        error_messages={"invalid_choice": "Choose your lender from the list."},
    )
    loan_number = forms.CharField(
        label="Loan number",
        max_length=32,
        help_text="On your statement or welcome letter.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    billing_zip = forms.CharField(
        label="Billing ZIP code",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    vin_last6 = forms.CharField(
        label="Last 6 characters of the VIN",
        max_length=6,
        min_length=6,
        help_text="The vehicle identification number: on your registration or insurance card.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"min_length": "Enter the last 6 characters of the VIN."},
    )

    def clean_loan_number(self) -> str:
        return refuse_non_ascii_digits(self.cleaned_data["loan_number"].strip().upper())

    def clean_billing_zip(self) -> str:
        return refuse_non_ascii_digits(self.cleaned_data["billing_zip"].strip())[:5]

    def clean_vin_last6(self) -> str:
        return refuse_non_ascii_digits(self.cleaned_data["vin_last6"].strip().upper())


class GuestPayForm(forms.Form):
    email = forms.EmailField(
        label="Email for your receipt",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    amount = forms.CharField(
        label="Amount",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    method_kind = forms.ChoiceField(
        label="Pay with",
        choices=[(PaymentMethod.Kind.CARD, "Card"), (PaymentMethod.Kind.BANK, "Bank account")],
        initial=PaymentMethod.Kind.CARD,
        widget=forms.RadioSelect(attrs={"data-guest-method": ""}),
    )
    ach_authorized = forms.BooleanField(label="I agree to the authorization above", required=False)

    def __init__(self, *args, amount_due: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        self.amount_due = amount_due
        self.fields["amount"].help_text = "Up to the amount due."

    def clean_amount(self) -> Decimal:
        try:
            amount = parse_money(refuse_non_ascii_digits(self.cleaned_data["amount"]))
        except ValueError:
            raise forms.ValidationError("Enter an amount in dollars, like 250.00.") from None
        if amount < Decimal("0.01"):
            raise forms.ValidationError("Enter an amount of at least $0.01.")
        if amount > self.amount_due:
            raise forms.ValidationError(
                f"As a guest you can pay up to the amount due, ${self.amount_due:,}. "
                "Sign in to pay more."
            )
        return amount

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method_kind") == PaymentMethod.Kind.BANK and not cleaned.get(
            "ach_authorized"
        ):
            self.add_error("ach_authorized", "Tick the box to authorize the bank debit.")
        return cleaned

    @property
    def paying_by_bank(self) -> bool:
        return self.cleaned_data.get("method_kind") == PaymentMethod.Kind.BANK


class DuplicateConfirmForm(forms.Form):
    confirm_duplicate = forms.BooleanField(
        label="Yes, this is a second payment: make it", required=False
    )


def normalize_zip(text: str) -> str:
    return re.sub(r"\s", "", text or "")[:5]
