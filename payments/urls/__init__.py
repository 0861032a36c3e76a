"""The payments app's URLs (namespace "payments"): the one-time payment flow here, the other
pages in pages.py, autopay's in its slice (payments/autopay/urls.py)."""

from django.urls import path

from ..autopay.urls import urlpatterns as autopay_urlpatterns
from ..views import pay
from .pages import urlpatterns as more_urlpatterns

app_name = "payments"

urlpatterns = [
    path("pay/<id:loan_id>/", pay.pay_start, name="pay"),
    path("pay/<id:loan_id>/review/<idem_key:key>/", pay.pay_review, name="review"),
    path("p/<payment_ref:reference>/", pay.payment_detail, name="detail"),
    path("p/<payment_ref:reference>/cancel/", pay.payment_cancel, name="cancel"),
    *more_urlpatterns,
    *autopay_urlpatterns,
]
