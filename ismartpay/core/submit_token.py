"""A one-time token on every staff money form (attacker review: a double submit of the waiver
form credited twice). Made when the form is rendered, sent back hidden; the service derives
its idempotency key from it (loans/staff_requests.py `staff_action_submit(token=...)`), so the
same form submitted twice gets the first outcome, never a second action or request."""

import secrets

from django import forms


def new_submit_token() -> str:
    # URL-safe base64: never a long digit run (the free-text card check reads every field).
    return secrets.token_urlsafe(24)


class OneTimeTokenForm(forms.Form):
    """Mix into a staff money form (after NoCardNumbersInText, before the form's own fields)."""

    submit_token = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64, label=""
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submit_token", new_submit_token())
