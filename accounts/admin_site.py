"""The admin site: django-otp's OTPAdminSite, signed in through allauth (and its rate limits).

Installed as the default admin site (``accounts.admin_apps.PortalAdminConfig`` replaces
``django.contrib.admin`` in INSTALLED_APPS), so every app's ``@admin.register`` lands here.
"""

from allauth.account.decorators import secure_admin_login
from django_otp.admin import OTPAdminSite

from ismartpay.admin_dashboard import StaffPagesMixin


class PortalAdminSite(StaffPagesMixin, OTPAdminSite):
    """The index is the staff home page (today's figures) for agents and supervisors."""

    site_header = "iSmartPay staff"
    site_title = "iSmartPay staff"
    index_title = "Servicing"

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin, ours or a library's (groups, email addresses, devices…), is
        audited: one without AuditedAdminMixin gets it mixed in (issue 13)."""
        from django.contrib.admin import ModelAdmin

        from .audit import AuditedAdminMixin

        admin_class = admin_class or ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(
                f"Audited{admin_class.__name__}", (AuditedAdminMixin, admin_class), {}
            )
        return super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        # Anonymous visitors go to allauth's sign-in (rate-limited, enumeration-safe); the
        # second factor is then asked by AccountSecurityMiddleware.
        view = secure_admin_login(lambda req: OTPAdminSite.login(self, req, extra_context))
        return view(request)
