"""Structured logging: one JSON object per line, with secrets masked before anything is written."""

import json
import logging
import re
from datetime import UTC, datetime

from payments.cards import luhn_valid

# Standard LogRecord attributes; anything else passed via `extra=` becomes a JSON field.
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

# Digits as people type them: runs joined by single spaces or dashes ("4242 4242 4242 4242").
_DIGIT_RUN = re.compile(r"[0-9]+(?:[ -][0-9]+)*")
_GROUP = re.compile(r"[0-9-]+")  # the space-separated parts of a run
_CARD_LENGTHS = range(13, 20)  # ISO/IEC 7812 primary account numbers: 13 to 19 digits
# Durations like 0.07652824300021166: six decimals are plenty, and the long tail would read
# as a card-number-like run of digits to any scanner. A dotted id is not a duration:
# "<176480012345.9312.4958201937465512@host>" stays as it is.
_LONG_FRACTION = re.compile(r"(?<![\w.])([0-9]+\.[0-9]{6})[0-9]+(?![0-9@]|[.-]\w)")
# Names of fields whose values are secret (not secrets themselves).
_SECRET_KEYS = r"password|passwd|secret|token|cvc|cvv|card_number|account_number|otp|api_key"  # noqa: S105
_SECRET_FIELD = re.compile(
    rf"(?i)({_SECRET_KEYS})(['\"]?\s*[:=]\s*['\"]?)(?!\[redacted)([^'\"&\s,}}]+)"
)
_SECRET_KEY = re.compile(rf"(?i)({_SECRET_KEYS})")
_NUMBER_KEY = re.compile(r"(?i)card_number|account_number")  # support may see the last 4
# One-time links that act for the person who holds them: email confirmation, password reset,
# invitations. Their key is masked wherever a link is written (a rendered email in a task's
# arguments, a request path).
_LINK_KEY = re.compile(
    r"(/(?:accounts/confirm-email|accounts/password/reset/key|loans/invitations)/)[^/\s\"']+"
)


def _inside_identifier(text: str, start: int, end: int) -> bool:
    """Digits glued to letters, "@", or to "."/"-" plus more of an id: part of a task id (UUID),
    a Message-ID or a hash, not a number someone typed."""
    before, after = text[max(start - 2, 0) : start], text[end : end + 2]
    if before[-1:].isalnum() or before[-1:] in ("_", "@"):
        return True
    if before[-1:] in (".", "-") and before[:1].isalnum() and len(before) == 2:
        return True
    if after[:1].isalpha() or after[:1] in ("_", "@"):
        return True
    return after[:1] in (".", "-") and after[1:2].isalnum()


def _mask_cards(text: str) -> str:
    """Replace each Luhn-valid 13–19 digit number with its last 4. A space-separated run is
    tried group by group ("paid 100 4242 4242 4242 4242"); a dash-joined group is one piece,
    so a UUID's segments are never read as a card."""
    pieces: list[str] = []
    done = 0
    for run in _DIGIT_RUN.finditer(text):
        groups = [(run.start() + g.start(), run.start() + g.end()) for g in _GROUP.finditer(run[0])]
        i = 0
        while i < len(groups):
            card = None  # the longest card starting at group i: at most 19 digits, so few tries
            digits = ""
            for j in range(i, len(groups)):
                digits += text[groups[j][0] : groups[j][1]].replace("-", "")
                if len(digits) > _CARD_LENGTHS[-1]:
                    break
                start, end = groups[i][0], groups[j][1]
                if (
                    len(digits) in _CARD_LENGTHS
                    and luhn_valid(digits)
                    and not _inside_identifier(text, start, end)
                ):
                    card = (start, end, digits, j)
            if card is None:
                i += 1
                continue
            start, end, digits, last = card
            pieces += [text[done:start], f"[redacted …{digits[-4:]}]"]
            done, i = end, last + 1
    return "".join(pieces) + text[done:]


def _mask_field(key: str, value: str) -> str:
    digits = re.sub(r"[ -]", "", value)
    if _NUMBER_KEY.fullmatch(key) and digits.isascii() and digits.isdigit() and len(digits) > 4:
        return f"[redacted …{digits[-4:]}]"
    return "[redacted]"


def redact(text: str) -> str:
    """Mask card numbers to their last 4 and the values of secret fields (account and card
    numbers there to their last 4), leaving ids, dates and amounts readable."""
    text = _LONG_FRACTION.sub(r"\1", text)
    text = _LINK_KEY.sub(r"\1[redacted]", text)
    text = _mask_cards(text)
    return _SECRET_FIELD.sub(
        lambda m: f"{m.group(1)}{m.group(2)}{_mask_field(*m.group(1, 3))}", text
    )


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record's message and extra fields with `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key in _RESERVED or not isinstance(value, str):
                continue
            secret = _SECRET_KEY.search(key)  # extra={"account_number": …} or {"otp": …}
            if secret and not value.startswith("[redacted"):
                setattr(record, key, _mask_field(secret.group(1), value))
            else:
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
