"""The account-activity filter (GET: bad input is a field error, never a 500)."""

from django import forms

from ..activity import ActivityFilters, Kind
from .history import DATE_WIDGET

_DATE_ERRORS = {"invalid": "Enter a real date, for example 03/31/2026."}


class ActivityFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Show", required=False, choices=[("", "Everything"), *Kind.CHOICES]
    )
    date_from = forms.DateField(
        label="From",
        required=False,
        widget=DATE_WIDGET,
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        error_messages=_DATE_ERRORS,
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=DATE_WIDGET,
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        error_messages=_DATE_ERRORS,
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> ActivityFilters:
        """The valid filters only (an invalid field is ignored)."""
        data = getattr(self, "cleaned_data", {})
        return ActivityFilters(
            kind=data.get("kind") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
