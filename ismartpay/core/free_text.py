"""Free text typed by staff (notes, reasons, who authorized a payment) never holds a card
number: such text is stored, audited and shown in full, and PCI DSS (3.3, 3.4) forbids a full
card number there. A form mixin refuses it next to the field, before anything is saved."""

import re

from django import forms

from payments.cards import luhn_valid

# 13–19 digits, typed plain or with spaces or dashes, not inside a longer digit run.
_CARD_LIKE = re.compile(r"(?<![\d])\d(?:[ \-.]?\d){12,18}(?![\d])")
CARD_IN_TEXT = "Don't type card numbers here: write the last 4 digits only."


def holds_card_number(text: str) -> bool:
    """True when `text` has a Luhn-valid 13–19 digit run (a card number)."""
    for match in _CARD_LIKE.finditer(text or ""):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return True
    return False


class NoCardNumbersInText:
    """Mix into a staff form: every text field (not the card or account number fields, which
    are tokenized and never stored) refuses a card number."""

    NUMBER_FIELDS = frozenset({"card_number", "card_cvc", "account_number", "routing_number"})

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            if name in self.NUMBER_FIELDS or not isinstance(field, forms.CharField):
                continue
            if isinstance(data.get(name), str) and holds_card_number(data[name]):
                self.add_error(name, CARD_IN_TEXT)
        return data
