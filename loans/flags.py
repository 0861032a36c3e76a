"""Account flags and what each one changes: the one home of those rules (pure: values in).

A flag covers the days `start`..`end` (both inclusive; `end` None while it is open). Jobs load
a loan's flags (loans/collections.py `flags_by_loan`) and ask these functions, for the run's
business date, whether to skip what they would do.

| flag | late fees | collection notices | every notice | autopay | interest |
|---|---|---|---|---|---|
| hardship | paused | paused | — | — | — |
| military (SCRA) | paused | — | — | — | min(APR, 6 %) |
| bankruptcy | — | stopped | — | stopped | — |
| deceased | — | stopped | stopped | stopped | — |

Bankruptcy and deceased also stop collection contact: no promise to pay is taken, and the
collections queue says so on the loan's row (`collection_contact_stopped`).

Who sets them (loans/staff_requests.py, kind `account_flag`): a flag that changes money —
hardship (pauses late fees) and military (caps the rate) — waits for a second supervisor, and a
hardship flag needs an end date (within the flag horizon, loans/collections.py). Bankruptcy and
deceased change no money (they stop notices and autopay): one supervisor sets them alone.
Ending any flag early is one person's: it only restores the contract's terms.

Collection notices: past-due reminders, late-fee notices, promise-to-pay reminders. Every
notice adds the due-date, "autopay will debit" and Reg E amount-change reminders.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .interest import RateCap

HARDSHIP = "hardship"
MILITARY = "military"
BANKRUPTCY = "bankruptcy"
DECEASED = "deceased"
KINDS = (HARDSHIP, MILITARY, BANKRUPTCY, DECEASED)

# Servicemembers Civil Relief Act, 50 U.S.C. § 3937(a)(1): at most 6 % a year during service.
SCRA_APR_CAP = Decimal("6.00")

_PAUSE_LATE_FEES = (HARDSHIP, MILITARY)
# Flags that change what the borrower owes (a fee pause, a rate cap): four eyes to set them.
CHANGES_MONEY = (HARDSHIP, MILITARY)
# Flags that must end on a date when set (a hardship pause is never open-ended).
END_REQUIRED = (HARDSHIP,)
_STOP_COLLECTION_NOTICES = (HARDSHIP, BANKRUPTCY, DECEASED)
_STOP_ALL_NOTICES = (DECEASED,)
_STOP_AUTOPAY = (BANKRUPTCY, DECEASED)
# No collection contact at all — no call to collect, no promise to pay taken: a bankruptcy
# filing's automatic stay bars acts to collect the debt (11 U.S.C. § 362(a)(6)); a deceased
# borrower's debt is the estate's, dealt with through its representative.
STOP_COLLECTION_CONTACT = (BANKRUPTCY, DECEASED)


@dataclass(frozen=True)
class FlagPeriod:
    kind: str
    start: dt.date
    end: dt.date | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown flag {self.kind!r}")
        if self.end is not None and self.end < self.start:
            raise ValueError("a flag cannot end before it starts")

    def covers(self, on: dt.date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


def _active(flags: Iterable[FlagPeriod], kinds: tuple[str, ...], on: dt.date) -> list[str]:
    return sorted({f.kind for f in flags if f.kind in kinds and f.covers(on)})


def late_fees_paused(flags: Iterable[FlagPeriod], on: dt.date) -> bool:
    """No late fee is assessed on `on`, nor for an installment whose first late-fee day is `on`."""
    return bool(_active(flags, _PAUSE_LATE_FEES, on))


def collection_notices_paused(flags: Iterable[FlagPeriod], on: dt.date) -> bool:
    """No past-due, late-fee or promise-to-pay notice is sent on `on`."""
    return bool(_active(flags, _STOP_COLLECTION_NOTICES, on))


def notices_paused(flags: Iterable[FlagPeriod], on: dt.date) -> bool:
    """No borrower notice at all from the nightly reminders on `on` (the borrower died)."""
    return bool(_active(flags, _STOP_ALL_NOTICES, on))


def collection_contact_stopped(flags: Iterable[FlagPeriod], on: dt.date) -> list[str]:
    """The flags that forbid collecting on `on` (a promise to pay is not taken): [] when none."""
    return _active(flags, STOP_COLLECTION_CONTACT, on)


def autopay_paused(flags: Iterable[FlagPeriod], on: dt.date) -> str:
    """Why no autopay debit is taken on `on` ("" when it may be): the debit is skipped."""
    kinds = _active(flags, _STOP_AUTOPAY, on)
    return f"account flag: {', '.join(kinds)}" if kinds else ""


def apr_cap_periods(flags: Iterable[FlagPeriod]) -> tuple[RateCap, ...]:
    """The SCRA rate caps: 6 % for the days of each military flag, in start order."""
    return tuple(
        RateCap(f.start, f.end, SCRA_APR_CAP)
        for f in sorted(flags, key=lambda f: f.start)
        if f.kind == MILITARY
    )


def caps_to_record(caps: Iterable[RateCap]) -> list[dict]:
    """Caps as JSON (Loan.rate_caps): accrual then needs no query."""
    return [
        {
            "start": c.start.isoformat(),
            "end": c.end.isoformat() if c.end else None,
            "apr": str(c.apr_percent),
        }
        for c in caps
    ]


def caps_from_record(record: list[dict] | None) -> tuple[RateCap, ...]:
    return tuple(
        RateCap(
            dt.date.fromisoformat(c["start"]),
            dt.date.fromisoformat(c["end"]) if c["end"] else None,
            Decimal(c["apr"]),
        )
        for c in record or ()
    )
