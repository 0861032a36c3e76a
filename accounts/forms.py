import re

from django import forms

from ismartpay.core.digits import refuse_non_ascii_digits

from .models.profile import US_TIME_ZONES

PHONE_HELP = "US phone number, so support can call you about your account."


def clean_phone_number(value: str) -> str:
    value = refuse_non_ascii_digits(value.strip())
    if not value:
        return ""
    digits = re.sub(r"[^0-9]", "", value)
    if not re.fullmatch(r"[0-9\s().+-]+", value) or not 10 <= len(digits) <= 15:
        raise forms.ValidationError("Enter a phone number like 555-123-4567.")
    return value


class SignupDetailsForm(forms.Form):
    """Extra sign-up fields; allauth calls signup() once the user row exists."""

    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label="Mobile phone",
        max_length=32,
        required=False,
        help_text=PHONE_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )
    field_order = ["full_name", "email", "phone", "password1"]

    def clean_phone(self):
        return clean_phone_number(self.cleaned_data["phone"])

    def signup(self, request, user):
        user.full_name = self.cleaned_data["full_name"].strip()
        user.phone = self.cleaned_data["phone"]
        user.save(update_fields=["full_name", "phone"])


class SecurityCodeForm(forms.Form):
    code = forms.CharField(
        label="Security code",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
    remember = forms.BooleanField(label="Remember this device for 30 days", required=False)

    def __init__(self, *args, recovery: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if recovery:
            field = self.fields["code"]
            field.label = "Recovery code"
            field.help_text = "One of the 10 codes you saved, like ABCDE-23456. Each works once."
            field.widget.attrs.update({"inputmode": "text", "autocomplete": "off"})
        else:
            self.fields["code"].help_text = "The 6-digit code in your authenticator app."

    def clean_code(self) -> str:
        return refuse_non_ascii_digits(self.cleaned_data["code"])


class TOTPConfirmForm(forms.Form):
    code = forms.CharField(
        label="6-digit code from the app",
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "off"}
        ),
    )

    def clean_code(self) -> str:
        return refuse_non_ascii_digits(self.cleaned_data["code"])


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label="Full name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label="Mobile phone",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )
    address_line1 = forms.CharField(
        label="Street address",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    address_line2 = forms.CharField(
        label="Apartment, suite",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    state = forms.CharField(
        max_length=2,
        required=False,
        help_text="Two letters, e.g. NY.",
        widget=forms.TextInput(attrs={"autocomplete": "address-level1"}),
    )
    postal_code = forms.CharField(
        label="ZIP code",
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    time_zone = forms.ChoiceField(choices=US_TIME_ZONES)
    remind_by_email = forms.BooleanField(label="Email me before a payment is due", required=False)
    remind_days_before = forms.TypedChoiceField(
        label="Remind me",
        coerce=int,
        choices=[
            (1, "1 day before"),
            (3, "3 days before"),
            (5, "5 days before"),
            (7, "7 days before"),
        ],
    )

    def clean_phone(self):
        return clean_phone_number(self.cleaned_data["phone"])

    def clean_state(self):
        state = self.cleaned_data["state"].strip().upper()
        if state and not re.fullmatch(r"[A-Z]{2}", state):
            raise forms.ValidationError("Use the two-letter state code, e.g. NY.")
        return state

    def clean_postal_code(self):
        code = refuse_non_ascii_digits(self.cleaned_data["postal_code"].strip())
        if code and not re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", code):
            raise forms.ValidationError("Enter a 5-digit ZIP code.")
        return code


class ClosureRequestForm(forms.Form):
    reason = forms.CharField(
        label="Why are you closing your account?",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label="I understand my loans stay with my lender and must still be paid."
    )
