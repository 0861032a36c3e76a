"""Forms of the staff money pages (admin_staff_money.py): strict money parsing, a loan by its
number (and lender), the phone payment's card or bank fields (tokenized by the service, never
stored), reasons that go into the audit log."""

from django import forms

from ismartpay.core.free_text import NoCardNumbersInText
from ismartpay.core.money import parse_money
from ismartpay.core.submit_token import OneTimeTokenForm
from ismartpay.core.today import business_date
from loans.models import Lender, Loan

from ..cards import parse_expiry
from ..errors import (
    AlreadyRecorded,
    AmountNotAllowed,
    DateNotAllowed,
    DuplicateSuspected,
    OtherLender,
    PaymentError,
)
from ..gateways.base import BankAccountInput, CardInput
from ..services.received import IN_HAND_CHANNELS
from ..services.remittance import REMITTANCE_CHANNELS
from ..services.returned_checks import RETURNED_CHECK_CODES


class MoneyField(forms.CharField):
    """Dollars and cents, parsed strictly (ismartpay.core.money.parse_money)."""

    def clean(self, value):
        value = super().clean(value)
        try:
            amount = parse_money(value)
        except ValueError as exc:
            raise forms.ValidationError("Enter an amount in dollars and cents.") from exc
        if amount <= 0:
            raise forms.ValidationError("Enter an amount in dollars and cents above 0.00.")
        return amount


class LoanField(forms.CharField):
    """A loan by its number (and lender, when two lenders share the number)."""

    def clean(self, value):
        value = super().clean(value).strip()
        loans = list(Loan.objects.filter(loan_number=value)[:2])
        if not loans:
            raise forms.ValidationError(f"No loan numbered {value}.")
        if len(loans) > 1:
            raise forms.ValidationError("Two lenders use this number: choose the lender.")
        return loans[0]


def loan_with_lender(form, field="loan_number"):
    """LoanField, narrowed by the form's optional `lender`."""
    lender = form.cleaned_data.get("lender")
    number = form.data.get(field, "").strip()
    if lender is not None and number:
        loan = Loan.objects.filter(lender=lender, loan_number=number).first()
        if loan is None:
            form.add_error(field, f"No loan numbered {number} at {lender}.")
        return loan
    return form.cleaned_data.get(field)


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        kwargs.setdefault("min_length", 10)
        kwargs.setdefault("help_text", "Why: it goes into the audit log.")
        super().__init__(**kwargs)


class RecordReceivedForm(NoCardNumbersInText, OneTimeTokenForm):
    loan_number = LoanField(max_length=40)
    lender = forms.ModelChoiceField(Lender.objects.order_by("name"), required=False)
    channel = forms.ChoiceField(
        choices=[(c.value, c.label) for c in IN_HAND_CHANNELS], initial="check"
    )
    amount = MoneyField(max_length=20)
    effective_date = forms.DateField(help_text="The business date the money arrived.")
    reference = forms.CharField(max_length=40, help_text="Check number, wire or receipt number.")
    reason = forms.CharField(max_length=200, required=False, label="Note")

    def clean(self):
        data = super().clean()
        if "loan_number" in self.data:
            data["loan"] = loan_with_lender(self)
        return data


def record_initial(params) -> dict:
    """The record and phone pages' first values. Opened from a loan (`?loan=<id>`, or the loan
    page's buttons: `?loan_number=…&lender=<id>`): that loan, its lender and the lender's
    business date. Otherwise the default lender's business date; the service checks the date
    against the chosen loan's lender when the form is sent (a refusal shows next to the date)."""
    loan = loan_opened_for(params)
    lender = loan.lender if loan is not None else None
    return {"effective_date": business_date(lender), **loan_initial(loan)}


def loan_initial(loan: Loan | None) -> dict:
    """The loan fields of a staff money form, filled for the loan a page was opened for."""
    return {"loan_number": loan.loan_number, "lender": loan.lender_id} if loan else {}


def loan_opened_for(params) -> Loan | None:
    """The one loan a page's query names (`?loan=<id>` or `?loan_number=…&lender=<id>`), or
    None when it names none or more than one."""
    loans = Loan.objects.select_related("lender")
    loan_id, number, lender_id = (params.get(k, "") for k in ("loan", "loan_number", "lender"))
    if loan_id.isdigit():
        loans = loans.filter(pk=loan_id)
    elif number:
        loans = loans.filter(
            loan_number=number, **({"lender_id": lender_id} if lender_id.isdigit() else {})
        )
    else:
        loans = loans.none()
    found = list(loans[:2])
    return found[0] if len(found) == 1 else None


class NeverEchoedInput(forms.TextInput):
    """A text box whose value is never written back into the page: a card or account number
    typed by an agent is not in the HTML of a form shown again with an error (PCI DSS 3.3)."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class PhonePaymentForm(NoCardNumbersInText, forms.Form):
    loan_number = LoanField(max_length=40)
    amount = MoneyField(max_length=20)
    kind = forms.ChoiceField(choices=[("card", "Card"), ("bank", "Bank account")])
    card_number = forms.CharField(
        required=False,
        max_length=23,
        widget=NeverEchoedInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    card_exp = forms.CharField(required=False, max_length=7, help_text="MM/YY")
    card_cvc = forms.CharField(
        required=False,
        max_length=4,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    card_zip = forms.CharField(required=False, max_length=10)
    holder_name = forms.CharField(required=False, max_length=120)
    routing_number = forms.CharField(required=False, max_length=9)
    account_number = forms.CharField(
        required=False,
        max_length=17,
        widget=NeverEchoedInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    account_type = forms.ChoiceField(
        choices=[("checking", "Checking"), ("savings", "Savings")], required=False
    )
    authorized_by = forms.CharField(max_length=120, help_text="Who said yes, as they said it.")
    authorization_read = forms.BooleanField(
        label="I read the authorization to the borrower word for word and they agreed."
    )
    confirm_duplicate = forms.BooleanField(required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def clean(self):
        data = super().clean()
        if data.get("kind") == "card":
            digits = "".join(ch for ch in data.get("card_number", "") if ch.isdigit())
            expiry = parse_expiry(data.get("card_exp", ""))  # the borrower forms' one parser
            if expiry is None:
                self.add_error("card_exp", "Enter the expiry as MM/YY.")
                return data
            month, year = expiry
            if not 13 <= len(digits) <= 19:
                self.add_error("card_number", "Enter the card number.")
                return data
            data["card"] = CardInput(
                number=digits,
                exp_month=month,
                exp_year=year,
                cvc=data.get("card_cvc", ""),
                postal_code=data.get("card_zip", ""),
            )
        elif data.get("kind") == "bank":
            for name in ("holder_name", "routing_number", "account_number"):
                if not data.get(name):
                    self.add_error(name, "Required for a bank payment.")
            data["bank"] = BankAccountInput(
                holder_name=data.get("holder_name", ""),
                routing_number=data.get("routing_number", ""),
                account_number=data.get("account_number", ""),
                account_type=data.get("account_type") or "checking",
            )
        return data


class RemittanceForm(OneTimeTokenForm):
    lender = forms.ModelChoiceField(
        Lender.objects.order_by("name"),
        help_text="Whose lockbox or network account received the money: lines match only its "
        "loans, and unmatched money is held for it.",
    )
    channel = forms.ChoiceField(choices=[(c.value, c.label) for c in REMITTANCE_CHANNELS])
    file = forms.FileField(help_text="CSV: loan_number, amount, date, reference [, lender_name]")


class ReturnCheckForm(NoCardNumbersInText, OneTimeTokenForm):
    # No code is chosen for the agent: a blank first choice, required.
    return_code = forms.ChoiceField(
        choices=[("", "Choose…"), *sorted(RETURNED_CHECK_CODES.items())]
    )
    reason = ReasonField()


class MovePaymentForm(NoCardNumbersInText, OneTimeTokenForm):
    loan_number = LoanField(max_length=40, label="Right loan number")
    lender = forms.ModelChoiceField(Lender.objects.order_by("name"), required=False)
    reason = ReasonField()

    def clean(self):
        data = super().clean()
        if "loan_number" in self.data:
            data["loan"] = loan_with_lender(self)
        return data


class SuspenseApplyForm(MovePaymentForm):
    amount = MoneyField(max_length=20)


class SuspenseRefundForm(NoCardNumbersInText, OneTimeTokenForm):
    amount = MoneyField(max_length=20)
    reference = forms.CharField(
        max_length=40,
        required=False,
        help_text="Outgoing check or wire number (not needed for money refunded by card/bank).",
    )
    reason = ReasonField()


_ERROR_FIELDS = (
    (AmountNotAllowed, "amount"),
    (DuplicateSuspected, "confirm_duplicate"),
    (DateNotAllowed, "effective_date"),
    (OtherLender, "loan_number"),
    (AlreadyRecorded, "reference"),
)


def field_for_error(exc: PaymentError, form: forms.Form | None = None) -> str | None:
    """The field a domain error is shown next to (None: at the top), only one `form` has. A
    staff-action refusal carries the domain error it wraps as its cause."""
    cause = getattr(exc, "__cause__", None)
    exc = cause if isinstance(cause, PaymentError) else exc
    for kind, name in _ERROR_FIELDS:
        if isinstance(exc, kind):
            return name if form is None or name in form.fields else None
    return None
