"""Moved to payments/forms/activity.py (payments/forms/ is one package of forms). Every name stays
importable from here."""

from .forms.activity import ActivityFilterForm  # noqa: F401
