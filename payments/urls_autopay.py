"""Moved: the autopay URLs live in payments/autopay/urls.py. Importable here too."""

from .autopay.urls import urlpatterns  # noqa: F401
