"""Moved to payments/forms/guest.py (payments/forms/ is one package of forms). Every name stays
importable from here."""

from .forms.guest import (  # noqa: F401
    ACH_AUTHORIZATION,
    LOOKUP_FAILED,
    DuplicateConfirmForm,
    GuestLookupForm,
    GuestPayForm,
    normalize_zip,
)
