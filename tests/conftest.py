"""Shared fixtures. Test folders have no __init__.py.

pytest imports test modules with --import-mode=importlib (pyproject), which puts no test folder
on sys.path. The shared helpers (factories.py, shared_helpers.py, staff_helpers.py, ...), each
folder's own (staff_money_helpers.py, autopay_fixtures.py, ...) and the few test modules another
imports (test_settings_env, test_autopay_pages, test_autopay_live_worker) are imported by their
basename, wherever the folder sits in tests/: every folder under tests/ goes on sys.path here,
before any test module is imported. Those basenames stay unique across tests/.
"""

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
for _folder in sorted({TESTS, *(path.parent for path in TESTS.rglob("*.py"))}):
    if "__pycache__" not in _folder.parts and str(_folder) not in sys.path:
        sys.path.append(str(_folder))

# Playwright's sync API runs an event loop in the test thread; live_server is synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def borrower(db):
    from factories import UserFactory

    return UserFactory()


@pytest.fixture
def borrower_client(client, borrower):
    client.force_login(borrower)
    return client


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def _chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and REQUIRE_BROWSER=1")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_chromium):
    """A Playwright page in headless chromium with a phone's viewport (390 x 844)."""
    context = _chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits live in the cache: every test starts with none used."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _close_autopay_callers():
    """The autopay run keeps its processor-call threads (and their database connections)
    between chunks: each test ends with them closed, so none outlives its test's database."""
    yield
    from payments.autopay.pipeline import close_callers

    close_callers()


@pytest.fixture
def otp_borrower(db):
    """A borrower with a confirmed authenticator app (see factories.totp_device_for)."""
    from factories import UserFactory, totp_device_for

    user = UserFactory()
    user.totp_device = totp_device_for(user)
    return user


@pytest.fixture
def otp_client(client, otp_borrower):
    """Signed in AND past the second factor, as after the "Security code" page."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(otp_borrower)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = otp_borrower.totp_device.persistent_id
    session.save()
    return client


# --- payments fixtures -------------------------------------------------------------------------
from shared_helpers import SANDBOX_ROUTING  # noqa: E402


@pytest.fixture
def linked_loan(borrower):
    """A $25,000 / 6 % / 60-month loan linked to `borrower`, current as of 2026-11-24."""
    import datetime as dt

    from factories import LoanFactory, LoanLinkFactory

    loan = LoanFactory(
        ten_paid=True,
        first_due_date=dt.date(2026, 2, 5),
    )
    LoanLinkFactory(user=borrower, loan=loan)
    return loan


@pytest.fixture
def add_card(borrower):
    """add_card("4242424242424242") -> a tokenized card PaymentMethod owned by `borrower`."""
    from payments.gateways.base import CardInput
    from payments.services import new_idempotency_key, payment_method_add_card

    def _add(number: str, *, owner=borrower, exp=(12, 2030), cvc: str = "123"):
        card = CardInput(
            number=number, exp_month=exp[0], exp_year=exp[1], cvc=cvc, postal_code="10001"
        )
        return payment_method_add_card(
            owner=owner, card=card, idempotency_key=new_idempotency_key()
        )

    return _add


@pytest.fixture
def add_bank(borrower):
    """add_bank("000123456789") -> a bank-account PaymentMethod owned by `borrower`, its
    micro-deposits confirmed (verified=False leaves it as just added)."""
    from decimal import Decimal

    from payments.gateways.base import BankAccountInput
    from payments.services import (
        new_idempotency_key,
        payment_method_add_bank,
        payment_method_verify_bank,
    )

    def _add(account_number: str, *, owner=borrower, verified: bool = True):
        account = BankAccountInput(
            holder_name="Dana Demo",
            routing_number=SANDBOX_ROUTING,
            account_number=account_number,
            account_type="checking",
        )
        method = payment_method_add_bank(
            owner=owner, account=account, idempotency_key=new_idempotency_key()
        )
        if verified:
            payment_method_verify_bank(method=method, amounts=(Decimal("0.32"), Decimal("0.45")))
            method.refresh_from_db()
        return method

    return _add
