"""A one-time token on every staff money form (attacker review: a double submit of the waiver
form credited twice). Made when the form is rendered, sent back hidden; the service derives
its idempotency key from it (loans/staff_requests.py `staff_action_submit(token=...)`), so the
same form submitted twice gets the first outcome, never a second action or request.

Required (attacker review: an empty token turned the protection off, and two $40 credits
posted): a form posted without one is refused at its top. The token is also bound to what it
was first used for (staff_requests.py `submit_fingerprint`): reused for anything else, refused."""

import hashlib
import json
import secrets

from django import forms

FORM_NOT_OPENED = "This form is missing its one-time token; open the page again to start a new one."


FORM_ALREADY_USED = (
    "This form was already submitted for something else; open the page again to start a new one."
)


def new_submit_token() -> str:
    # URL-safe base64: never a long digit run (the free-text card check reads every field).
    return secrets.token_urlsafe(24)


def submit_fingerprint(*, actor, kind, loan_id, payment_id, amount, params) -> str:
    """What a form's submit asked for, as a SHA-256 (a replay must match it exactly)."""
    asked = {
        "actor": actor.pk,
        "kind": kind,
        "loan": loan_id,
        "payment": payment_id,
        "amount": str(amount) if amount is not None else None,
        "params": params or {},
    }
    return hashlib.sha256(json.dumps(asked, sort_keys=True, default=str).encode()).hexdigest()


class OneTimeTokenForm(forms.Form):
    """Mix into a staff money form (after NoCardNumbersInText, before the form's own fields)."""

    submit_token = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64, label=""
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submit_token", new_submit_token())

    def clean(self):
        data = super().clean()
        if not (data.get("submit_token") or "").strip():  # a hidden field: said at the top
            self.add_error(None, FORM_NOT_OPENED)
        return data
