"""Moved to payments/forms/methods.py (payments/forms/ is one package of forms). Every name stays
importable from here."""

from .forms.methods import (  # noqa: F401
    CLEARED_CARD_FIELDS,
    BankAccountForm,
    MicroDepositAmountField,
    NoEchoTextInput,
    VerifyBankForm,
    scrub_card_form,
)
