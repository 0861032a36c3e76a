import json
import logging

import pytest

from ismartpay.core.logging import JsonFormatter, RedactSecretsFilter, redact


@pytest.mark.parametrize(
    ("raw", "leak"),
    [
        ("card 4242424242424242 declined", "4242424242424242"),
        ("card 4242 4242 4242 4242 declined", "4242 4242 4242 4242"),
        ("amex 3782-822463-10005", "3782-822463-10005"),
        ("debit from account 000123456789", "000123456789"),
        ("password=hunter2hunter2", "hunter2hunter2"),
        ('{"cvc": "123", "ok": 1}', '"123"'),
    ],
)
def test_redact_masks_card_numbers_account_numbers_and_secrets(raw, leak):
    assert leak not in redact(raw)


def test_redact_keeps_the_last_four_for_support_and_short_numbers_untouched():
    assert redact("card 4242424242424242") == "card [redacted …4242]"
    assert (
        redact("amount 483.32 on 2026-12-05, loan 1234") == "amount 483.32 on 2026-12-05, loan 1234"
    )


def _emit(message, *args, **extra):
    record = logging.makeLogRecord(
        {"name": "t", "levelname": "INFO", "msg": message, "args": args, **extra}
    )
    RedactSecretsFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_a_log_line_is_one_json_object_with_extra_fields_redacted():
    line = _emit("charging %s", "4000000000000002", account_number="000222222227", status=402)
    assert line["message"] == "charging [redacted …0002]"
    assert line["account_number"] == "[redacted …2227]"
    assert line["status"] == 402
    assert line["level"] == "INFO"


@pytest.mark.django_db
def test_one_request_line_per_request_without_the_query_string(client, caplog):
    with caplog.at_level(logging.INFO, logger="ismartpay.requests"):
        client.get("/help/?token=secret-reset-token")
    lines = [r for r in caplog.records if r.name == "ismartpay.requests"]
    assert len(lines) == 1
    assert lines[0].path == "/help/"
    assert lines[0].status == 200
    assert "secret-reset-token" not in caplog.text


def test_long_decimal_fractions_are_shortened_not_left_as_long_digit_runs():
    assert redact("succeeded in 0.01216331999967224s") == "succeeded in 0.012163s"


def test_non_string_extras_are_redacted_in_the_json_line():
    line = _emit("task done", data={"return_value": "card 4242424242424242", "runtime": 0.5})
    assert line["data"] == {"return_value": "card [redacted …4242]", "runtime": 0.5}
