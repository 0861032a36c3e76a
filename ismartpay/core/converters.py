"""Path converters: a URL part that cannot be an id, a reference, a key or a token is "not found"
(404) before any view or query sees it.

Django's `str` converter passes anything but "/" through, including a NUL byte, which PostgreSQL
refuses in a text literal (DataError, a 500). Each shape here is the shape its generator makes;
tests/ismartpay/core/test_url_junk.py checks the generators against these patterns so they
cannot drift.
"""

from django.urls import register_converter
from django.urls.converters import get_converters

_BIGINT_MAX = 2**63 - 1  # the largest primary key PostgreSQL's bigint holds


class IdConverter:
    """A primary key: digits up to PostgreSQL's bigint (`<int:>` takes any length)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > _BIGINT_MAX:
            raise ValueError("beyond bigint")  # Django treats ValueError as "no match"
        return number

    def to_url(self, value) -> str:
        return str(int(value))


class _ShapeConverter:
    regex: str

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class PaymentReferenceConverter(_ShapeConverter):
    """payments.services.submission.new_reference(): "P" + 5 + "-" + 5 upper-case letters/digits."""

    regex = "P[A-Z0-9]{5}-[A-Z0-9]{5}"


class IdempotencyKeyConverter(_ShapeConverter):
    """payments.services.submission.new_idempotency_key(): "pay_" + secrets.token_urlsafe(24)."""

    regex = "pay_[A-Za-z0-9_-]{32}"


class SecretTokenConverter(_ShapeConverter):
    """secrets.token_urlsafe(32), e.g. a calendar feed's token (loans.calendar_feeds)."""

    regex = "[A-Za-z0-9_-]{43}"


class SignedTokenConverter(_ShapeConverter):
    """django.core.signing.dumps(): [.]payload:timestamp:signature, e.g. an invitation link."""

    regex = r"\.?[A-Za-z0-9_-]{1,200}:[A-Za-z0-9]{1,12}:[A-Za-z0-9_-]{1,100}"


CONVERTERS = {
    "id": IdConverter,
    "payment_ref": PaymentReferenceConverter,
    "idem_key": IdempotencyKeyConverter,
    "secret_token": SecretTokenConverter,
    "signed_token": SignedTokenConverter,
}


def register_all() -> None:
    """Called by the root URLconf before any app's patterns are built; safe to call twice."""
    registered = get_converters()
    for name, converter in CONVERTERS.items():
        if name not in registered:
            register_converter(converter, name)
