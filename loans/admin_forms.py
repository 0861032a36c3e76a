"""Forms of the staff servicing actions (loans/admin_actions.py)."""

from decimal import Decimal

from django import forms

from ismartpay.core.free_text import NoCardNumbersInText
from ismartpay.core.submit_token import OneTimeTokenForm

REASON_HELP = "Why: it goes into the audit log and the loan's ledger."


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            widget=forms.Textarea(attrs={"rows": 3}), min_length=10, help_text=REASON_HELP, **kwargs
        )


class MoneyActionForm(NoCardNumbersInText, OneTimeTokenForm):
    """A fee waiver or credit: an amount in dollars and a reason."""

    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    reason = ReasonField()


class PaymentActionForm(NoCardNumbersInText, OneTimeTokenForm):
    """A refund or reversal of the whole payment: a reason."""

    reason = ReasonField()


class DecisionForm(NoCardNumbersInText, forms.Form):
    note = forms.CharField(max_length=200, required=False, help_text="Optional, for the log.")


class DueDayForm(NoCardNumbersInText, forms.Form):
    # The range is checked by loans.servicing (the one home of the rule), shown next to the field.
    due_day = forms.IntegerField(help_text="Day of the month, 1 to 28.")
    reason = ReasonField()


class TermForm(NoCardNumbersInText, forms.Form):
    term_months = forms.IntegerField(help_text="Number of monthly installments.")
    reason = ReasonField()


class RateForm(NoCardNumbersInText, OneTimeTokenForm):
    apr_percent = forms.DecimalField(
        label="APR (percent)", max_digits=6, decimal_places=3, help_text="e.g. 5.990"
    )
    reason = ReasonField()
