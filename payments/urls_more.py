"""Moved to payments/urls/pages.py. Importable here too."""

from .urls.pages import urlpatterns  # noqa: F401
