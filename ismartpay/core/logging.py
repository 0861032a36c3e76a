"""Structured logging: one JSON object per line, with secrets masked before anything is written."""

import json
import logging
import re
from datetime import UTC, datetime

# Standard LogRecord attributes; anything else passed via `extra=` becomes a JSON field.
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

# Runs of 8+ digits (optionally split by spaces or dashes) look like card or account numbers.
_LONG_NUMBER = re.compile(r"(?<!\d)(?:\d[ -]?){7,}\d(?!\d)")
# Durations like 0.07652824300021166: six decimals are plenty, and the long tail would read
# as a card-number-like run of digits to any scanner.
_LONG_FRACTION = re.compile(r"(?<=\d\.)(\d{6})\d+")
_SECRET_FIELD = re.compile(
    r"(?i)(password|passwd|secret|token|cvc|cvv|card_number|account_number|otp|api_key)"
    r"(['\"]?\s*[:=]\s*['\"]?)(?!\[redacted)([^'\"&\s,}]+)"
)


def redact(text: str) -> str:
    """Mask long digit runs to their last 4 and the values of secret-looking fields."""

    def _mask_number(match: re.Match) -> str:
        run = match.group(0)
        digits = re.sub(r"\D", "", run)
        if len(digits) < 12 and not run.isdigit():
            return run  # dates and phone numbers: separated, and too short for a card
        return f"[redacted …{digits[-4:]}]"

    text = _LONG_FRACTION.sub(r"\1", text)
    text = _LONG_NUMBER.sub(_mask_number, text)
    return _SECRET_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record's message and extra fields with `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _RESERVED and isinstance(value, str):
                setattr(record, key, redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            payload["exception"] = record.exc_text
        # Extras that are not strings (dicts, numbers) skipped the filter: redact the line.
        return redact(json.dumps(payload, default=str, ensure_ascii=False))
