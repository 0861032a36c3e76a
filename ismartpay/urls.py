from django.conf import settings
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import TemplateView

from helpcentre.views import help_centre
from ismartpay.core import converters, pwa
from ismartpay.core.health import healthz

# Before any include(): the apps' patterns use <id:…>, <payment_ref:…>, <idem_key:…>, ….
converters.register_all()

FAVICON = "icons/icon-192.png"  # static() at request time: the manifest may not exist at import

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin): the app icon.
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static(FAVICON))),
    path("help/", help_centre, name="help"),
    path("privacy/", TemplateView.as_view(template_name="privacy.html"), name="privacy"),
    path("offline/", TemplateView.as_view(template_name="offline.html"), name="offline"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("manifest.webmanifest", pwa.manifest, name="web_manifest"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("loans/", include("loans.urls")),
    path("payments/", include("payments.urls")),
    path("documents/", include("documents.urls")),
    # admin.site is accounts.admin_site.PortalAdminSite (OTPAdminSite + allauth sign-in).
    path("admin/", admin.site.urls),
]

# The page benchmarks' bare ceiling (bench/ceiling.py); never on in production.
if settings.BENCH_CEILING:
    urlpatterns.append(path("", include("bench.ceiling")))

# Staff refused a page under /admin/ see an admin page naming what it needs; others the
# borrower's 403 (ismartpay/admin_forbidden.py).
handler403 = "ismartpay.admin_forbidden.permission_denied"
