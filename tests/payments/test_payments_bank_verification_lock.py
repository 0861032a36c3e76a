"""Micro-deposit guesses are counted per borrower and bank account, across remove and re-add
(issue 10, item 3): 3 wrong tries lock that account for that borrower for 24 hours."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from factories import UserFactory
from shared_helpers import SANDBOX_ROUTING

from payments.models import PaymentMethod, SandboxToken
from payments.models.methods import BankVerificationAttempts
from payments.services.methods import bank_account_fingerprint

pytestmark = pytest.mark.django_db

ADD_BANK = "/payments/methods/add/bank/"
ACCOUNT = "000123456789"
WRONG = {"amount_1": "0.12", "amount_2": "0.34"}
RIGHT = {"amount_1": "0.32", "amount_2": "0.45"}
NOON = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)  # 12:00 in New York
LOCKED_MESSAGE = (
    "Too many wrong deposit amounts for this account. For your security, you can add it again "
    "after Dec 2, 2026, 12:00 PM."
)


def _bank_data(account=ACCOUNT):
    return {
        "holder_name": "Pat Doe",
        "routing_number": SANDBOX_ROUTING,
        "account_number": account,
        "account_number_confirm": account,
        "account_type": "checking",
    }


def _add(client) -> PaymentMethod | None:
    before = set(PaymentMethod.objects.values_list("pk", flat=True))
    client.post(ADD_BANK, _bank_data())
    new = PaymentMethod.objects.exclude(pk__in=before)
    return new.get() if new.exists() else None


def _verify(client, method, amounts):
    return client.post(reverse("payments:verify_bank", args=[method.pk]), amounts)


def _remove(client, method):
    client.post(reverse("payments:method_remove", args=[method.pk]))


@pytest.fixture
def signed_in(sign_in_recently):
    """signed_in(user, at) -> a client of `user`, signed in with a password at `at`."""

    def _client(user, at: dt.datetime) -> Client:
        client = Client()
        with time_machine.travel(at, tick=False):
            client.force_login(user)
            sign_in_recently(client, user)
        return client

    return _client


@pytest.fixture
def recent(signed_in, borrower):
    return signed_in(borrower, NOON)


def test_remove_and_re_add_does_not_reset_the_micro_deposit_tries(recent, borrower):
    with time_machine.travel(NOON, tick=False):
        first = _add(recent)
        _verify(recent, first, WRONG)
        _verify(recent, first, WRONG)
        _remove(recent, first)
        second = _add(recent)
        assert second is not None
        page = _verify(recent, second, WRONG).content.decode()
        assert "this account is locked" in page
        _remove(recent, second)
        tokens = SandboxToken.objects.count()
        response = recent.post(ADD_BANK, _bank_data())
    page = response.content.decode()
    error = re.search(r'id="id_account_number_error">([^<]*)<', page)
    assert error and error.group(1).strip().replace("&#x27;", "'") == LOCKED_MESSAGE
    assert PaymentMethod.objects.filter(owner=borrower).count() == 2  # no third row
    assert SandboxToken.objects.count() == tokens  # refused before the processor is asked
    row = BankVerificationAttempts.objects.get(owner=borrower)
    assert (row.failures, row.locked_until) == (3, NOON + dt.timedelta(hours=24))


def test_a_right_answer_is_refused_while_the_account_is_locked(recent, borrower):
    with time_machine.travel(NOON, tick=False):
        method = _add(recent)
        for _ in range(3):
            _verify(recent, method, WRONG)
        page = _verify(recent, method, RIGHT).content.decode()
    assert "this account is locked" in page
    method.refresh_from_db()
    assert method.verified_at is None


def test_the_lock_ends_after_24_hours_and_the_borrower_can_verify(recent, borrower, signed_in):
    with time_machine.travel(NOON, tick=False):
        method = _add(recent)
        for _ in range(3):
            _verify(recent, method, WRONG)
    later = NOON + dt.timedelta(hours=24, seconds=1)
    client = signed_in(borrower, later)
    with time_machine.travel(later, tick=False):
        response = _verify(client, method, RIGHT)
    assert response["Location"] == "/payments/methods/"
    method.refresh_from_db()
    assert method.verified_at is not None
    assert BankVerificationAttempts.objects.get(owner=borrower).failures == 0


def test_the_lock_is_for_that_borrower_only(recent, borrower, signed_in):
    other = signed_in(UserFactory(), NOON)
    with time_machine.travel(NOON, tick=False):
        method = _add(recent)
        for _ in range(3):
            _verify(recent, method, WRONG)
        assert _add(recent) is None
        assert _add(other) is not None


def test_the_fingerprint_is_a_keyed_hmac_never_the_account_number(recent, borrower):
    with time_machine.travel(NOON, tick=False):
        method = _add(recent)
        _verify(recent, method, WRONG)
    row = BankVerificationAttempts.objects.get(owner=borrower)
    assert re.fullmatch(r"[0-9a-f]{64}", row.fingerprint)
    assert ACCOUNT not in row.fingerprint and SANDBOX_ROUTING not in row.fingerprint
    assert row.fingerprint == bank_account_fingerprint(SANDBOX_ROUTING, ACCOUNT)
    assert row.fingerprint != bank_account_fingerprint(SANDBOX_ROUTING, "000123456788")
    import hashlib

    assert row.fingerprint != hashlib.sha256(f"110000000{ACCOUNT}".encode()).hexdigest()
