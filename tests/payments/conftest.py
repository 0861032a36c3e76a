"""Fixtures for the payments pages tests: loans and payments made through the real services
and the sandbox processor (so rows look exactly as the pages leave them). `add_card` and
`add_bank` come from tests/conftest.py."""

import datetime as dt
from decimal import Decimal

import pytest
from shared_helpers import SANDBOX_ROUTING, mark_recent_sign_in

SANDBOX_CARDS = {  # number -> (what a test expects, CVC length)
    "4242424242424242": "ok",
    "5555555555554444": "ok",
    "4000056655665556": "ok",
    "378282246310005": "ok",
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
}
DECLINE_CARDS = {code: number for number, code in SANDBOX_CARDS.items() if code != "ok"}
SANDBOX_ACCOUNTS = ["000123456789", "000111111113", "000111111116", "000222222227", "000333333335"]
GOOD_ACCOUNT = "000123456789"


def cvc_for(number: str) -> str:
    """A CVC unlikely to appear anywhere by chance (the leak scans look for it)."""
    return "8642" if number.startswith(("34", "37")) else "864"


@pytest.fixture
def recent_client(borrower_client, borrower):
    """A borrower signed in with a password a moment ago."""
    mark_recent_sign_in(borrower_client, borrower)
    return borrower_client


@pytest.fixture
def other_borrower(db):
    from factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_client(client, other_borrower):
    """Another borrower, signed in recently, in a client of its own."""
    from django.test import Client

    other = Client()
    other.force_login(other_borrower)
    mark_recent_sign_in(other, other_borrower)
    return other


@pytest.fixture
def make_loan(db):
    def _make(user=None, *, role="borrower", **fields):
        from factories import LoanFactory, LoanLinkFactory

        loan = LoanFactory(**fields)
        if user is not None:
            LoanLinkFactory(user=user, loan=loan, role=role)
        return loan

    return _make


@pytest.fixture
def loan(make_loan, borrower):
    return make_loan(borrower)


@pytest.fixture
def pay(db):
    """Submit a payment through the real service (charged by the sandbox right away)."""

    def _pay(loan, method, amount="100.00", *, payer=None, confirm_duplicate=True, **extra):
        from payments.services import new_idempotency_key, payment_submit

        return payment_submit(
            loan_id=loan.pk,
            method=method,
            amount=Decimal(amount),
            idempotency_key=new_idempotency_key(),
            payer=payer,
            payer_email=payer.email if payer else "guest@example.com",
            confirm_duplicate=confirm_duplicate,  # False: as the pay form, asked if a second
            **extra,
        )

    return _pay


@pytest.fixture
def returned_payment(pay, add_bank):
    """A bank payment returned with `code` (the posting reversed, the NSF fee assessed)."""

    def _returned(loan, payer, code, amount="120.00"):
        from django.utils import timezone

        from payments.services import payment_return

        method = add_bank(GOOD_ACCOUNT, owner=payer)
        payment = pay(loan, method, amount, payer=payer)
        return payment_return(payment_id=payment.pk, return_code=code, on=timezone.localdate())

    return _returned


def future_expiry() -> str:
    year = dt.date.today().year + 3  # noqa: DTZ011 - a test input, any future year
    return f"12/{year % 100:02d}"


@pytest.fixture
def sandbox():
    """The sandbox's test numbers and helpers (contracts.md), for the test modules."""
    from types import SimpleNamespace

    return SimpleNamespace(
        cards=SANDBOX_CARDS,
        decline_cards=DECLINE_CARDS,
        routing=SANDBOX_ROUTING,
        accounts=SANDBOX_ACCOUNTS,
        good_account=GOOD_ACCOUNT,
        cvc_for=cvc_for,
        future_expiry=future_expiry(),
    )


@pytest.fixture
def sign_in_recently():
    return mark_recent_sign_in
