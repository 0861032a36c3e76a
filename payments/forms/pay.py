"""Forms of the one-time payment flow. They parse and validate input; services decide."""

import datetime as dt
from decimal import Decimal

from django import forms

from ismartpay.core.digits import ASCII_DIGITS_ONLY, refuse_non_ascii_digits
from ismartpay.core.money import parse_money

from ..timing import MAX_DAYS_AHEAD


class PayForm(forms.Form):
    """Step 1: how much, from which method, on which day."""

    CHOICES = ("due", "installment", "payoff", "other")

    amount_choice = forms.ChoiceField(label="How much?", widget=forms.RadioSelect)
    other_amount = forms.CharField(
        label="Other amount",
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="In dollars and cents, for example 250.00",
    )
    principal_only = forms.BooleanField(
        label="Put this extra payment toward principal only", required=False
    )
    method = forms.ChoiceField(label="Pay from", widget=forms.RadioSelect)
    pay_on = forms.DateField(
        label="Payment date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"Today, or up to {MAX_DAYS_AHEAD} days ahead.",
    )

    def __init__(
        self,
        *args,
        amounts: dict[str, Decimal],
        methods,
        today: dt.date,
        principal_only_refusal: str | None = None,
        payoff_on=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # Past due: the option is not offered (the page says why, rules.py); a POST that asks
        # for it anyway is refused with that reason rather than paid as a regular payment.
        self.principal_only_refusal = principal_only_refusal
        self.amounts, self.today = amounts, today
        # `payoff_on(day)`: the payoff of a payment for `day` (a later day owes more interest);
        # without it, the payoff of a payment made now caps every amount.
        self.payoff_on = payoff_on
        labels = {
            "due": "Amount due",
            "installment": "Monthly payment",
            "payoff": "Pay off the loan",
            "other": "Other amount",
        }
        offered = [k for k in self.CHOICES if k == "other" or amounts.get(k, Decimal(0)) > 0]
        if "due" in offered and amounts.get("installment") == amounts["due"]:
            # One choice, not two that charge the same: the amount due is this month's payment.
            offered.remove("installment")
            labels["due"] = "Amount due (your monthly payment)"
        self.fields["amount_choice"].choices = [
            (key, f"{labels[key]} — ${amounts[key]:,}" if key in amounts else labels[key])
            for key in offered
        ]
        self.methods = {str(m.pk): m for m in methods}
        self.fields["method"].choices = [(key, m.label) for key, m in self.methods.items()]
        self.fields["pay_on"].widget.attrs.update(
            min=today.isoformat(), max=(today + dt.timedelta(days=MAX_DAYS_AHEAD)).isoformat()
        )

    def clean_pay_on(self) -> dt.date:
        day = self.cleaned_data["pay_on"]
        if day < self.today:
            raise forms.ValidationError("Choose today or a later date.")
        if day > self.today + dt.timedelta(days=MAX_DAYS_AHEAD):
            raise forms.ValidationError(f"Choose a date within {MAX_DAYS_AHEAD} days.")
        return day

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("principal_only") and self.principal_only_refusal:
            self.add_error("principal_only", self.principal_only_refusal)
        choice = cleaned.get("amount_choice")
        if choice == "other":
            if not (cleaned.get("other_amount") or "").strip():
                self.add_error("other_amount", "Enter the amount you want to pay.")
                return cleaned
            try:
                amount = parse_money(refuse_non_ascii_digits(cleaned.get("other_amount") or ""))
            except forms.ValidationError:
                self.add_error("other_amount", ASCII_DIGITS_ONLY)
                return cleaned
            except ValueError:
                self.add_error("other_amount", "Enter an amount in dollars and cents, like 250.00.")
                return cleaned
            if amount < Decimal("0.01"):
                self.add_error("other_amount", "Enter an amount of at least $0.01.")
            elif amount > (cap := self._payoff_cap(cleaned.get("pay_on"))):
                self.add_error("other_amount", f"That's more than your payoff amount (${cap:,}).")
            cleaned["amount"] = amount
        elif choice:
            cleaned["amount"] = self.amounts[choice]
            if cleaned.get("principal_only"):
                self.add_error("principal_only", "Principal-only applies to an other amount.")
        return cleaned

    def _payoff_cap(self, day: dt.date | None) -> Decimal:
        if self.payoff_on is None or day is None:
            return self.amounts["payoff"]
        return self.payoff_on(day)

    def draft(self) -> dict:
        """What the review page needs, as JSON-safe values for the session."""
        return {
            "amount": str(self.cleaned_data["amount"]),
            "method_id": int(self.cleaned_data["method"]),
            "pay_on": self.cleaned_data["pay_on"].isoformat(),
            "principal_only": bool(self.cleaned_data.get("principal_only")),
            "amount_choice": self.cleaned_data["amount_choice"],
            "other_amount": self.cleaned_data.get("other_amount") or "",
        }


class ConfirmForm(forms.Form):
    confirm_duplicate = forms.BooleanField(
        label="Yes, I want to make another payment of this amount", required=False
    )
    # The date the review page showed: if the cut-off passed meanwhile, the borrower sees the
    # new date before anything is charged.
    shown_effective = forms.DateField(widget=forms.HiddenInput, required=False)
