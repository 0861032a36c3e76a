"""Junk in a URL path is "not found", never a server error.

Every pattern in the URLconf that captures a parameter is requested with a NUL byte and other
junk in that parameter, signed in. A NUL byte once reached PostgreSQL ("A string literal cannot
contain NUL") and answered 500; the path converters in ismartpay/core/converters.py now refuse
anything that cannot be an id, a payment reference, an idempotency key or a token.
"""

import re

import pytest
from django.urls import URLResolver, get_resolver
from django.utils.regex_helper import normalize

from ismartpay.core import converters
from payments.services import new_idempotency_key
from payments.services.submission import new_reference

# Each value is substituted, already percent-encoded, into the path.
JUNK = [
    "%00",
    "P2345%00-23456",  # a NUL inside something shaped like a reference
    "pay_%00",
    "%00.ics",
    "%FF%FE",  # not UTF-8
    "99999999999999999999999",  # beyond a bigint
    "-1",
    "%20",
    "A" * 300,
    "..%2F..%2Fetc%2Fpasswd",
    "%3Cscript%3E",
]
# Our own pages answer exactly 404; other packages' pages (allauth, admin, passkeys) own their
# answers (a redirect to sign in, 400 for a bad key), but may never fail.
OUR_MODULES = ("accounts.", "loans.", "payments.", "ismartpay.")


def _patterns(resolver=None, prefix=""):
    """(regex of the whole path, URLPattern) for every pattern, includes followed."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        regex = prefix + pattern.pattern.regex.pattern.removeprefix("^")
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, regex)
        else:
            yield regex, pattern


def _with_parameters():
    found = []
    for regex, pattern in _patterns():
        template, params = normalize(regex)[0]
        if params:
            found.append(pytest.param(template, params, pattern, id=template))
    return found


PATTERNS = _with_parameters()


def test_the_enumeration_sees_every_pattern_with_a_parameter():
    templates = {p.values[0] for p in PATTERNS}
    # Spot checks that the walk follows includes and namespaces (payments:, otp_webauthn:, admin).
    assert {
        "payments/p/%(reference)s/",
        "payments/p/%(reference)s/receipt.pdf",
        "payments/p/%(reference)s/help/",
        "payments/pay/%(loan_id)s/review/%(key)s/",
        "payments/guest/review/%(key)s/",
        "loans/calendar/%(token)s.ics",
        "loans/%(loan_id)s/sharing/%(invitation_id)s/revoke/",
        "accounts/confirm-email/%(key)s/",
    } <= templates
    assert any(t.startswith("admin/") for t in templates)
    assert len(PATTERNS) >= 40


def _is_ours(pattern) -> bool:
    callback = pattern.callback
    module = getattr(callback, "view_class", callback).__module__
    return module.startswith(OUR_MODULES) and not module.startswith("accounts.passkeys")


@pytest.fixture
def real_values(borrower, linked_loan, add_card):
    """The borrower's own ids, so junk in one parameter is not hidden by a 404 for another."""
    from decimal import Decimal

    from payments.services import payment_submit

    card = add_card("4242424242424242")
    payment = payment_submit(
        loan_id=linked_loan.pk,
        method=card,
        amount=Decimal("100.00"),
        idempotency_key=new_idempotency_key(),
        payer=borrower,
        payer_email=borrower.email,
    )
    return {
        "loan_id": str(linked_loan.pk),
        "method_id": str(card.pk),
        "reference": payment.reference,
        "key": new_idempotency_key(),
    }


@pytest.fixture
def superuser_client(client):
    """A superuser past the second step: the admin's pages, not its sign-in redirect."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from factories import UserFactory, totp_device_for

    user = UserFactory(is_staff=True, is_superuser=True)
    device = totp_device_for(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _statuses(client, template, params, real_values) -> dict:
    client.raise_request_exception = False  # a 500 is a status to report, not a test error
    statuses = {}
    for junk in JUNK:
        for name in params:
            # One parameter junk at a time, the others real, so each converter is tested.
            values = {other: real_values.get(other, "1") for other in params} | {name: junk}
            url = "/" + template % values
            for method in ("get", "post"):
                statuses[(method, name, junk)] = getattr(client, method)(url).status_code
    return statuses


SITE = [p for p in PATTERNS if not p.values[0].startswith("admin/")]
ADMIN = [p for p in PATTERNS if p.values[0].startswith("admin/")]


@pytest.mark.django_db
@pytest.mark.parametrize(("template", "params", "pattern"), SITE)
def test_junk_in_any_captured_parameter_is_404_never_500(
    template, params, pattern, borrower_client, real_values
):
    statuses = _statuses(borrower_client, template, params, real_values)
    if _is_ours(pattern):
        assert {key: s for key, s in statuses.items() if s != 404} == {}
    else:  # allauth answers a bad email-confirmation or reset key with its own page
        assert {key: s for key, s in statuses.items() if s >= 500} == {}


@pytest.mark.django_db
@pytest.mark.parametrize(("template", "params", "pattern"), ADMIN)
def test_junk_in_any_admin_url_is_never_a_server_error(
    template, params, pattern, superuser_client, real_values
):
    statuses = _statuses(superuser_client, template, params, real_values)
    # The admin answers an unknown object with a redirect to its list, and junk that our own
    # actions' <id:pk> refuses falls through to its catch-all "…/<path:object_id>/" redirect.
    assert {key: s for key, s in statuses.items() if s >= 500} == {}


@pytest.mark.django_db
def test_every_generated_reference_key_and_token_passes_its_converter(borrower):
    from types import SimpleNamespace

    from loans.calendar_feeds import calendar_feed_rotate
    from loans.invitations import invitation_token

    for _ in range(500):
        assert re.fullmatch(converters.PaymentReferenceConverter.regex, new_reference())
        assert re.fullmatch(converters.IdempotencyKeyConverter.regex, new_idempotency_key())
    for _ in range(20):
        token = calendar_feed_rotate(user=borrower)
        assert re.fullmatch(converters.SecretTokenConverter.regex, token)
    for pk in (1, 987_654_321, 2**63 - 1):
        token = invitation_token(SimpleNamespace(pk=pk))
        assert re.fullmatch(converters.SignedTokenConverter.regex, token)


def test_an_id_beyond_postgresqls_bigint_is_not_an_id():
    converter = converters.IdConverter()
    assert converter.to_python("9223372036854775807") == 2**63 - 1
    with pytest.raises(ValueError, match="beyond bigint"):
        converter.to_python("9223372036854775808")
    assert not re.fullmatch(converter.regex, "12345678901234567890")  # 20 digits
    assert not re.fullmatch(converter.regex, "-1")
