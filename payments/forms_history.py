"""Moved to payments/forms/history.py (payments/forms/ is one package of forms). Every name stays
importable from here."""

from .forms.history import (  # noqa: F401
    DATE_WIDGET,
    HistoryFilterForm,
)
