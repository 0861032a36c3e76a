"""The payment-history filter (a GET form: bad input is a field error, never a 500)."""

from django import forms

from ..history import HistoryFilters
from ..models import Payment

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DateRangeForm(forms.Form):
    """A From/To pair of dates (the history and account-activity filters): either may be
    left out; an end before the start is a field error."""

    date_from = forms.DateField(
        label="From",
        required=False,
        widget=DATE_WIDGET,
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        error_messages={"invalid": "Enter a real date, for example 03/31/2026."},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=DATE_WIDGET,
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        error_messages={"invalid": "Enter a real date, for example 03/31/2026."},
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


class HistoryFilterForm(DateRangeForm):
    field_order = ["loan", "status", "date_from", "date_to"]
    loan = forms.TypedChoiceField(label="Loan", required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Payment.Status.choices]
    )

    def __init__(self, *args, loans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loan"].choices = [("", "All loans")] + [
            (loan.pk, f"{loan.lender.name} · {loan.loan_number}") for loan in loans
        ]

    def filters(self) -> HistoryFilters:
        """The filters to apply: the valid ones only (an invalid field is ignored)."""
        data = getattr(self, "cleaned_data", {})
        return HistoryFilters(
            loan_id=data.get("loan"),
            status=data.get("status") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
