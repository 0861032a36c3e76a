"""One rule for "does this text hold a card number": a run of 13–19 digits standing on its own
(not inside a longer token) that passes the Luhn check.

A run inside a longer hex token is not a card number. The sandbox's ids are "tok_"/"ch_" + 24
random hex digits, and about 1 in 1,000 of them holds a Luhn-valid run of 16 digits (measured:
0.104 % of secrets.token_hex(12), 0.176 % of token_hex(16)); a database dump holds dozens of
them, so a bare `\\d{13,19}` search failed about one run in twenty. Tests that search text for a
number they know pair this with a plain substring search for it."""

import re

BOUNDED_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{13,19}(?![0-9A-Za-z])")


def luhn_runs(text: str) -> list[str]:
    from payments.cards import luhn_valid

    return [run for run in BOUNDED_DIGITS.findall(text) if luhn_valid(run)]
