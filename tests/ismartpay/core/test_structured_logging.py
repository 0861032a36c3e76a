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
        ("card 4242-4242-4242-4242 declined", "4242-4242-4242-4242"),
        ("paid 100 4242424242424242", "4242424242424242"),  # a card after another number
        ("account_number=000123456789", "000123456789"),
        ('{"account_number": "000123456789"}', "000123456789"),
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


# A Celery task id and Message-IDs whose digit runs the old rule (any 12+ digits) mangled into
# "8216d[redacted …4958]e39-…"; the last two even hold a Luhn-valid 16-digit run.
TASK_ID = "8216d004-2424-4242-8424-242424954958"
MESSAGE_IDS = (
    "<176480012345.9312.4958201937465512@ismartpay-worker-1>",
    "<176480012345.4242424242424242.12@ismartpay.example>",
    "<4242424242424242@mail.example>",
)


def test_a_celery_task_id_and_message_ids_survive_unchanged():
    assert redact(f"Task payments.tasks.send_receipt[{TASK_ID}] succeeded") == (
        f"Task payments.tasks.send_receipt[{TASK_ID}] succeeded"
    )
    for message_id in MESSAGE_IDS:
        assert redact(f"sent Message-ID: {message_id}") == f"sent Message-ID: {message_id}"
    line = _emit("sent %s", MESSAGE_IDS[1], task_id=TASK_ID, message_id=MESSAGE_IDS[2])
    assert (line["message"], line["task_id"], line["message_id"]) == (
        f"sent {MESSAGE_IDS[1]}",
        TASK_ID,
        MESSAGE_IDS[2],
    )


@pytest.mark.parametrize(
    "typed", ["4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242"]
)
def test_a_luhn_valid_card_number_is_redacted_however_it_is_typed(typed):
    assert redact(f"card {typed} declined") == "card [redacted …4242] declined"
    assert redact(f'{{"number": "{typed}"}}') == '{"number": "[redacted …4242]"}'


def test_a_16_digit_id_that_fails_the_luhn_check_is_kept():
    assert redact("order 4242424242424241 shipped") == "order 4242424242424241 shipped"
    assert redact("batch 1234567890123456789012 done") == "batch 1234567890123456789012 done"


def test_account_numbers_in_known_fields_keep_only_their_last_four():
    assert redact("account_number=000123456789") == "account_number=[redacted …6789]"
    assert redact('{"account_number": "000123456789"}') == (
        '{"account_number": "[redacted …6789]"}'
    )
    assert redact("otp=123456 password=hunter2") == "otp=[redacted] password=[redacted]"
    line = _emit("verify", account_number="000222222227", otp="123456")
    assert (line["account_number"], line["otp"]) == ("[redacted …2227]", "[redacted]")


def test_one_time_links_are_redacted_wherever_they_are_logged():
    from ismartpay.core.logging import redact

    text = (
        "Confirm: http://localhost:8000/accounts/confirm-email/MQ:1tAbcd:xyz123/ then "
        "reset at http://localhost:8000/accounts/password/reset/key/1-cbp2x3-9f1e2d/ or "
        "accept http://localhost:8000/loans/invitations/eyJsb2FuIjoxfQ:1tX:sig/"
    )
    assert redact(text) == (
        "Confirm: http://localhost:8000/accounts/confirm-email/[redacted]/ then "
        "reset at http://localhost:8000/accounts/password/reset/key/[redacted]/ or "
        "accept http://localhost:8000/loans/invitations/[redacted]/"
    )
