"""Signed links to a guest payment's receipt: a guest has no account, so the emailed link (and
the receipt page's "keep this link") carries a signature over the reference. Used by the guest
views and by the receipt email (payments/notifications.py), which must not import a view."""

from django.core import signing
from django.urls import reverse
from django.utils.http import urlencode

RECEIPT_SALT = "payments.guest-receipt"
RECEIPT_LINK_MAX_AGE = 90 * 24 * 3600  # seconds: 90 days


def receipt_token(reference: str) -> str:
    return signing.dumps(reference, salt=RECEIPT_SALT)


def guest_receipt_url(reference: str) -> str:
    path = reverse("payments:guest_receipt", args=[reference])
    return f"{path}?{urlencode({'t': receipt_token(reference)})}"
