"""The account-activity filter (GET: bad input is a field error, never a 500)."""

from django import forms

from ..activity import ActivityFilters, Kind
from .history import DateRangeForm


class ActivityFilterForm(DateRangeForm):
    field_order = ["kind", "date_from", "date_to"]
    kind = forms.ChoiceField(
        label="Show", required=False, choices=[("", "Everything"), *Kind.CHOICES]
    )

    def filters(self) -> ActivityFilters:
        """The valid filters only (an invalid field is ignored)."""
        data = getattr(self, "cleaned_data", {})
        return ActivityFilters(
            kind=data.get("kind") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
