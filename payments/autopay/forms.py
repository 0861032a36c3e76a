"""Autopay set-up and change form: parses and validates input; the services decide."""

import datetime as dt
from decimal import Decimal

from django import forms

from ismartpay.core.digits import refuse_non_ascii_digits
from ismartpay.core.money import parse_money

from ..models import AutopayPlan
from . import schedule as sched

MAX_START_DAYS_AHEAD = 60


def _money(value: str, label: str) -> Decimal:
    refuse_non_ascii_digits(value)
    try:
        amount = parse_money(value)
    except (ValueError, TypeError, ArithmeticError):
        raise forms.ValidationError(
            f"Enter the {label} in dollars and cents, e.g. 500.00."
        ) from None
    if amount <= 0:
        raise forms.ValidationError(f"Enter an {label} of at least $0.01.")
    return amount


class AutopayForm(forms.Form):
    method = forms.ChoiceField(label="Pay from", widget=forms.RadioSelect)
    amount_rule = forms.ChoiceField(
        label="How much each time?",
        widget=forms.RadioSelect,
        choices=AutopayPlan.AmountRule.choices,
    )
    fixed_amount = forms.CharField(
        label="Fixed amount",
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="At least your monthly payment (half of it every two weeks).",
    )
    extra_amount = forms.CharField(
        label="Extra toward principal",
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    schedule = forms.ChoiceField(
        label="When?", widget=forms.RadioSelect, choices=AutopayPlan.Schedule.choices
    )
    day_of_month = forms.TypedChoiceField(
        label="Day of the month",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Choose a day")] + [(d, str(d)) for d in range(1, 29)],
        error_messages={"invalid_choice": "Choose a day from 1 to 28."},
        help_text="On or before your due date. Weekends and holidays move to the business "
        "day before.",
    )
    start_date = forms.DateField(label="Start date", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(
        label="End date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty to keep paying until the loan is paid off.",
    )

    def __init__(self, *args, methods, installment: Decimal, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.methods = {str(m.pk): m for m in methods}
        self.fields["method"].choices = [(k, m.label) for k, m in self.methods.items()]
        self.installment, self.today = installment, today
        self.fields["start_date"].widget.attrs.update(min=today.isoformat())

    def clean_fixed_amount(self):
        value = self.cleaned_data.get("fixed_amount") or ""
        return _money(value, "amount") if value.strip() else None

    def clean_extra_amount(self):
        value = self.cleaned_data.get("extra_amount") or ""
        return _money(value, "extra amount") if value.strip() else None

    def clean_start_date(self):
        day = self.cleaned_data["start_date"]
        if day < self.today:
            raise forms.ValidationError("Choose today or a later date.")
        if day > self.today + dt.timedelta(days=MAX_START_DAYS_AHEAD):
            raise forms.ValidationError(f"Choose a date within {MAX_START_DAYS_AHEAD} days.")
        return day

    def clean(self):
        data = super().clean()
        rule, schedule = data.get("amount_rule"), data.get("schedule")
        if rule == sched.FIXED:
            minimum = sched.minimum_fixed_amount(schedule or "", self.installment)
            if "fixed_amount" in self.errors:
                pass  # already explained next to the field
            elif data.get("fixed_amount") is None:
                self.add_error("fixed_amount", "Enter the fixed amount.")
            elif data["fixed_amount"] < minimum:
                self.add_error("fixed_amount", f"Enter at least ${minimum:,}.")
        if (
            rule == sched.EXTRA
            and data.get("extra_amount") is None
            and ("extra_amount" not in self.errors)
        ):
            self.add_error("extra_amount", "Enter the extra amount toward principal.")
        if (
            schedule == sched.MONTHLY_DAY
            and not data.get("day_of_month")
            and ("day_of_month" not in self.errors)
        ):
            self.add_error("day_of_month", "Choose a day from 1 to 28.")
        if schedule == sched.BIWEEKLY and rule == sched.AMOUNT_DUE:
            self.add_error("amount_rule", "Every two weeks pays a set amount: choose another.")
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end <= start:
            self.add_error("end_date", "The end date must be after the start date.")
        return data

    @property
    def method_obj(self):
        return self.methods[self.cleaned_data["method"]]

    def terms(self) -> sched.PlanTerms:
        d = self.cleaned_data
        return sched.PlanTerms(
            schedule=d["schedule"],
            amount_rule=d["amount_rule"],
            start_date=d["start_date"],
            end_date=d.get("end_date"),
            day_of_month=d.get("day_of_month") if d["schedule"] == sched.MONTHLY_DAY else None,
            fixed_amount=d.get("fixed_amount") if d["amount_rule"] == sched.FIXED else None,
            extra_amount=d.get("extra_amount") if d["amount_rule"] == sched.EXTRA else None,
        )


def terms_to_session(method_id: int, terms: sched.PlanTerms) -> dict:
    return {
        "method": method_id,
        "schedule": terms.schedule,
        "amount_rule": terms.amount_rule,
        "start_date": terms.start_date.isoformat(),
        "end_date": terms.end_date.isoformat() if terms.end_date else None,
        "day_of_month": terms.day_of_month,
        "fixed_amount": str(terms.fixed_amount) if terms.fixed_amount else None,
        "extra_amount": str(terms.extra_amount) if terms.extra_amount else None,
    }


def terms_from_session(data: dict) -> sched.PlanTerms:
    return sched.PlanTerms(
        schedule=data["schedule"],
        amount_rule=data["amount_rule"],
        start_date=dt.date.fromisoformat(data["start_date"]),
        end_date=dt.date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
        day_of_month=data.get("day_of_month"),
        fixed_amount=Decimal(data["fixed_amount"]) if data.get("fixed_amount") else None,
        extra_amount=Decimal(data["extra_amount"]) if data.get("extra_amount") else None,
    )
