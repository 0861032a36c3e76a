"""Target 24 for the pay flow: after every sandbox card and account went through it, no full
card number, CVC or account number is in a database dump, the logs or the sent mail."""

import datetime as dt
import logging
import re
import shutil
import subprocess

import pytest
import time_machine
from card_leaks import luhn_runs
from django.core import mail
from django.db import connection
from django.urls import reverse

from payments.gateways.sandbox import BANK_OUTCOMES, CARD_OUTCOMES

CVC = "737"


def _add_card(owner, number: str):
    from payments.gateways.base import CardInput
    from payments.services import new_idempotency_key, payment_method_add_card

    cvc = CVC + "1" if number.startswith("3") else CVC  # American Express has 4 digits
    card = CardInput(number=number, exp_month=12, exp_year=2030, cvc=cvc)
    return payment_method_add_card(owner=owner, card=card, idempotency_key=new_idempotency_key())


def test_a_luhn_valid_run_standing_alone_is_found_but_not_one_inside_a_hex_token():
    assert luhn_runs("number\t4242424242424242\tvisa") == ["4242424242424242"]
    assert luhn_runs('{"pan": "378282246310005"}') == ["378282246310005"]
    assert luhn_runs("ref_4242424242424242 and 4242424242424242.") == [
        "4242424242424242",
        "4242424242424242",
    ]
    # The run a failed CI run found in the dump (3 times), as it sits in a sandbox id.
    assert luhn_runs("ch_ab6531127448682084cdef01") == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump not installed")
def test_no_card_number_cvc_or_account_number_in_dump_logs_or_mail(
    borrower, client, linked_loan, add_bank, caplog
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    client.force_login(borrower)
    with (
        time_machine.travel(dt.datetime(2026, 11, 24, 15, tzinfo=dt.UTC), tick=False),
        caplog.at_level(logging.DEBUG),
    ):
        methods = [_add_card(borrower, n) for n in CARD_OUTCOMES]
        methods += [add_bank(a) for a in BANK_OUTCOMES]
        for i, method in enumerate(methods):
            review = client.post(
                reverse("payments:pay", args=[linked_loan.pk]),
                {
                    "amount_choice": "other",
                    "other_amount": f"{10 + i}.00",
                    "method": str(method.pk),
                    "pay_on": "2026-11-24",
                },
            )["Location"]
            client.post(review)
    settings_dict = connection.settings_dict
    dump = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            settings_dict["HOST"] or "127.0.0.1",
            "-p",
            str(settings_dict["PORT"] or 5432),
            "-U",
            settings_dict["USER"] or "postgres",
            settings_dict["NAME"],
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "payments_paymentmethod" in dump  # the dump really holds our tables
    sent = "\n".join(m.body + m.subject for m in mail.outbox)
    assert len(mail.outbox) >= len(methods)
    for where, text in [("dump", dump), ("logs", caplog.text), ("mail", sent)]:
        assert luhn_runs(text) == [], where
        # Every number that went through the flow, searched for as a bare substring too, so the
        # boundary rule above can't hide one glued to other characters.
        for number in CARD_OUTCOMES:
            assert number not in text, (where, number[-4:])
        for account in BANK_OUTCOMES:
            assert account not in text, (where, account)
    # A 3-digit code can't be searched for in a dump full of random tokens; instead: no table
    # has anywhere to keep one.
    columns = " ".join(re.findall(r"^COPY \S+ \(([^)]*)\)", dump, flags=re.M)).lower()
    assert "account_number" in columns  # (encrypted) — proves the column list was read
    assert not re.search(r"cvc|cvv|security_code|card_number", columns)
