"""Replaces ``django.contrib.admin`` in INSTALLED_APPS so the default admin site is ours.

Kept apart from admin_site.py: this module is imported while apps load, before models exist.
"""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.PortalAdminSite"
