"""The admin site: django-otp's OTPAdminSite, signed in through allauth (and its rate limits).

Installed as the default admin site (``accounts.admin_apps.PortalAdminConfig`` replaces
``django.contrib.admin`` in INSTALLED_APPS), so every app's ``@admin.register`` lands here.
"""

from allauth.account.decorators import secure_admin_login
from django_otp.admin import OTPAdminSite


class PortalAdminSite(OTPAdminSite):
    site_header = "iSmartPay staff"
    site_title = "iSmartPay staff"
    index_title = "Servicing"

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def login(self, request, extra_context=None):
        # Anonymous visitors go to allauth's sign-in (rate-limited, enumeration-safe); the
        # second factor is then asked by AccountSecurityMiddleware.
        view = secure_admin_login(lambda req: OTPAdminSite.login(self, req, extra_context))
        return view(request)
