"""Forms for the loan pages: parse and check input; the services and selectors do the rest."""

import datetime as dt
import re
from decimal import Decimal

from django import forms

from ismartpay.core.digits import refuse_non_ascii_digits
from ismartpay.core.money import parse_money

from .models import Lender, LoanInvitation

MAX_CSV_BYTES = 10 * 1024 * 1024
PAYOFF_QUOTE_MAX_DAYS = 60


class MoneyField(forms.CharField):
    """A dollar amount typed as text ("1,234.56"), parsed strictly by `parse_money`."""

    def __init__(self, *, min_value: Decimal = Decimal("0.00"), max_value=None, **kwargs):
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)
        # parse_money refuses overlong input itself; CharField's length validator would run
        # on the parsed Decimal, so the limit is only a widget hint here.
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": 20})

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        refuse_non_ascii_digits(text)
        try:
            amount = parse_money(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        if amount < self.min_value:
            raise forms.ValidationError(f"Enter at least ${self.min_value:,}.")
        if self.max_value is not None and amount > self.max_value:
            raise forms.ValidationError(f"Enter at most ${self.max_value:,}.")
        return amount


class LoanImportForm(forms.Form):
    file = forms.FileField(label="Servicing CSV")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB.")
        try:
            cleaned["text"] = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            self.add_error("file", "The file must be UTF-8 text (CSV).")
        return cleaned


class LinkLoanForm(forms.Form):
    lender = forms.ModelChoiceField(
        queryset=Lender.objects.order_by("name"), empty_label="Choose your lender"
    )
    loan_number = forms.CharField(
        max_length=32, help_text="As printed on your statement or contract."
    )
    billing_zip = forms.CharField(
        label="Billing ZIP code",
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    vin_last6 = forms.CharField(
        label="Last 6 characters of the VIN",
        min_length=6,
        max_length=6,
        help_text="The vehicle identification number is on your registration and insurance card.",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )

    def clean_loan_number(self):
        return self.cleaned_data["loan_number"].strip()

    def clean_billing_zip(self):
        value = refuse_non_ascii_digits(self.cleaned_data["billing_zip"].strip())
        if not re.fullmatch(r"[0-9]{5}(-?[0-9]{4})?", value):
            raise forms.ValidationError("Enter a 5-digit ZIP code, like 10001.")
        return value[:5]

    def clean_vin_last6(self):
        value = refuse_non_ascii_digits(self.cleaned_data["vin_last6"].strip().upper())
        if not re.fullmatch(r"[A-Z0-9]{6}", value):
            raise forms.ValidationError("Enter 6 letters or digits.")
        return value


class PayoffQuoteForm(forms.Form):
    good_through = forms.DateField(
        label="Pay off by",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"A date from today up to {PAYOFF_QUOTE_MAX_DAYS} days ahead.",
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)
        field = self.fields["good_through"]
        field.widget.attrs.update(
            {
                "min": today.isoformat(),
                "max": (today + dt.timedelta(days=PAYOFF_QUOTE_MAX_DAYS)).isoformat(),
            }
        )

    def clean_good_through(self):
        day = self.cleaned_data["good_through"]
        if day < self.today:
            raise forms.ValidationError("Choose today or a later date.")
        if day > self.today + dt.timedelta(days=PAYOFF_QUOTE_MAX_DAYS):
            raise forms.ValidationError(
                f"Choose a date within {PAYOFF_QUOTE_MAX_DAYS} days from today."
            )
        return day


class SimulatorForm(forms.Form):
    extra_monthly = MoneyField(
        label="Extra each month",
        required=False,
        max_value=Decimal("100000.00"),
        help_text="Added to every monthly payment, e.g. 50.",
    )
    one_off_extra = MoneyField(
        label="One-time extra payment",
        required=False,
        max_value=Decimal("1000000.00"),
        help_text="Added to your next payment.",
    )
    biweekly = forms.BooleanField(
        label="Pay half the monthly amount every two weeks", required=False
    )
    defer_months = forms.TypedChoiceField(
        label="Defer my next payment (an extension)",
        coerce=int,
        required=False,
        empty_value=0,
        choices=[(0, "No"), (1, "By 1 month"), (2, "By 2 months"), (3, "By 3 months")],
        help_text="Payments resume later and interest keeps accruing meanwhile.",
    )

    def clean(self):
        cleaned = super().clean()
        for name in ("extra_monthly", "one_off_extra"):
            if cleaned.get(name) is None and name not in self.errors:
                cleaned[name] = Decimal("0.00")
        return cleaned


INVITEE_NAME_MAX = 60
# A person's name, in any alphabet: letters (with marks), spaces, hyphens, apostrophes, dots.
# No digits, no URLs, no line breaks: it goes into an email to an address the inviter chose.
_PERSON_NAME = re.compile(r"[^\W\d_]+(?:[ '’.-]+[^\W\d_]+)*\.?")


class InviteForm(forms.Form):
    email = forms.EmailField(label="Their email address", max_length=254)
    name = forms.CharField(
        label="Their name",
        max_length=100,  # longer is refused below with the plain-name message
        required=False,
        strip=False,
    )
    role = forms.ChoiceField(
        label="They can",
        choices=LoanInvitation.Role.choices,
        widget=forms.RadioSelect,
        initial=LoanInvitation.Role.VIEWER,
    )

    def clean_name(self) -> str:
        raw = self.cleaned_data["name"]
        name = raw.strip(" ")
        if name and (len(name) > INVITEE_NAME_MAX or not _PERSON_NAME.fullmatch(name)):
            raise forms.ValidationError(
                "Enter just their name (letters, spaces, hyphens and apostrophes; up to "
                f"{INVITEE_NAME_MAX})."
            )
        return name
