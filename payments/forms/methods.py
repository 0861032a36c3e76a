"""Forms for adding and verifying payment methods. Card entry is the gateway's own form
(`get_gateway().card_entry_form()`); these cover bank accounts and micro-deposits."""

import re
from decimal import Decimal

from django import forms

from ismartpay.core.digits import ascii_digits, refuse_non_ascii_digits
from ismartpay.core.money import parse_money

from ..banking import account_number_valid, routing_number_valid
from ..gateways.base import BankAccountInput
from ..models import PaymentMethod


class NoEchoTextInput(forms.TextInput):
    """A text input that never writes the submitted value back into the page (account
    numbers: a page re-shown with an error must not carry the full number)."""

    def format_value(self, value):
        return None


CLEARED_CARD_FIELDS = (
    "For your security we cleared the card number and security code: please enter them again."
)


def scrub_card_form(form: forms.Form) -> None:
    """After a failed card form: drop the card number and CVC so the page re-renders those two
    fields empty (errors already computed stay). Works for any gateway's card form."""
    form.errors  # noqa: B018 - validate first: the errors refer to what was typed
    data = form.data.copy()
    cleared = False
    for name in ("number", "cvc"):
        key = form.add_prefix(name)
        if data.get(key):
            data[key] = ""
            cleared = True
    form.data = data
    if cleared and form.errors:
        # PCI DSS 3.2/3.3: a full card number or CVC is never written into a page, so the
        # borrower is told why those two are empty; every other field keeps what they typed.
        form.add_error(None, CLEARED_CARD_FIELDS)


class BankAccountForm(forms.Form):
    holder_name = forms.CharField(
        label="Name on the account",
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    routing_number = forms.CharField(
        label="Routing number",
        max_length=11,
        help_text="9 digits, at the bottom left of a check.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    account_number = forms.CharField(
        label="Account number",
        max_length=20,
        help_text="4 to 17 digits, after the routing number on a check.",
        widget=NoEchoTextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    account_number_confirm = forms.CharField(
        label="Account number again",
        max_length=20,
        widget=NoEchoTextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    account_type = forms.ChoiceField(
        label="Account type",
        choices=PaymentMethod.AccountType.choices,
        initial=PaymentMethod.AccountType.CHECKING,
        widget=forms.RadioSelect,
    )

    def clean_holder_name(self) -> str:
        name = " ".join(self.cleaned_data["holder_name"].split())
        if len(name) < 2:
            raise forms.ValidationError("Enter the name on the account.")
        return name

    def clean_routing_number(self) -> str:
        message = "A routing number is exactly 9 digits."
        routing = ascii_digits(self.cleaned_data["routing_number"], message=message)
        if len(routing) != 9:
            raise forms.ValidationError(message)
        if not routing_number_valid(routing):
            raise forms.ValidationError(
                "That isn't a valid routing number. Check the 9 digits on a check or in your "
                "bank's app."
            )
        return routing

    def clean_account_number(self) -> str:
        message = "An account number is 4 to 17 digits."
        account = ascii_digits(self.cleaned_data["account_number"], message=message)
        if not account_number_valid(account):
            raise forms.ValidationError("An account number is 4 to 17 digits.")
        return account

    def clean_account_number_confirm(self) -> str:
        return ascii_digits(
            self.cleaned_data["account_number_confirm"],
            message="An account number is 4 to 17 digits.",
        )

    def clean(self):
        cleaned = super().clean()
        account = cleaned.get("account_number")
        again = cleaned.get("account_number_confirm")
        if account and again and account != again:
            self.add_error(
                "account_number_confirm", "The two account numbers don't match. Type both again."
            )
        return cleaned

    def bank_input(self) -> BankAccountInput:
        return BankAccountInput(
            holder_name=self.cleaned_data["holder_name"],
            routing_number=self.cleaned_data["routing_number"],
            account_number=self.cleaned_data["account_number"],
            account_type=self.cleaned_data["account_type"],
        )


class MicroDepositAmountField(forms.CharField):
    """A deposit under $1, typed as 0.32, .32, $0.32 or 32 (cents)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 8)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        text = refuse_non_ascii_digits(super().clean(value).strip())
        if re.fullmatch(r"[0-9]{1,2}", text):  # "32" means 32 cents
            text = f"0.{int(text):02d}"
        try:
            amount = parse_money(text)
        except ValueError:
            raise forms.ValidationError("Enter the amount in dollars, for example 0.32.") from None
        if not Decimal("0.01") <= amount <= Decimal("0.99"):
            raise forms.ValidationError("Each deposit is between $0.01 and $0.99.")
        return amount


class VerifyBankForm(forms.Form):
    amount_1 = MicroDepositAmountField(label="First deposit", help_text="For example 0.32")
    amount_2 = MicroDepositAmountField(label="Second deposit")

    def amounts(self) -> tuple[Decimal, Decimal]:
        return self.cleaned_data["amount_1"], self.cleaned_data["amount_2"]
