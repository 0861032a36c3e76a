"""The project's URLs with the autopay pages mounted in the payments namespace, as
payments/urls.py will once the lead includes payments/urls_autopay.py."""

from django.urls import include, path

import ismartpay.urls as project
from payments import urls as payments_urls
from payments.urls_autopay import urlpatterns as autopay_patterns

_names = {getattr(p, "name", None) for p in payments_urls.urlpatterns}
_payments = list(payments_urls.urlpatterns) + [
    p for p in autopay_patterns if p.name not in _names
]
urlpatterns = [
    p for p in project.urlpatterns if getattr(p, "pattern", None) is None
    or str(p.pattern) != "payments/"
] + [path("payments/", include((_payments, "payments")))]
