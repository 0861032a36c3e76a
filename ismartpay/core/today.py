"""What "today" is, one source per purpose (issue 12, item 8).

- Money (effective dates, cut-offs, due dates, fees, the nightly run) uses the lender's
  business date: the calendar date in the lender's time zone (settings.TIME_ZONE, the default
  lender time zone, when no lender is at hand). `business_date`.
- Display ("today" on a borrower's page, the date in a file name) uses the borrower's own time
  zone (accounts Profile.time_zone), else the default. `display_date`.

Services and selectors take `today`/`now` as arguments where they can; where they must read
the clock they call one of these, never `timezone.localdate()` directly
(tests/ismartpay/core/test_today_one_source.py scans for that).
"""

import datetime as dt
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone


def business_date(lender=None, now: dt.datetime | None = None) -> dt.date:
    """The lender's business date at `now` (default: the clock): the date in the lender's time
    zone, or in the default lender time zone (settings.TIME_ZONE) when `lender` is None."""
    tz = getattr(lender, "timezone", None) or settings.TIME_ZONE
    return (now or timezone.now()).astimezone(ZoneInfo(tz)).date()


def display_date(user=None, now: dt.datetime | None = None) -> dt.date:
    """Today for the borrower reading the page: the date in their profile's time zone, else
    the default time zone."""
    profile = getattr(user, "profile", None) if user is not None else None
    tz = getattr(profile, "time_zone", None) or settings.TIME_ZONE
    return (now or timezone.now()).astimezone(ZoneInfo(tz)).date()


def validate_time_zone(value: str) -> None:
    """A lender's time zone must be an IANA zone name ("America/Los_Angeles"): the business
    date, the cut-off and the nightly runs are read in it."""
    if value not in available_timezones():
        raise ValidationError(
            "Enter a time zone name such as America/New_York or America/Los_Angeles.",
            code="invalid_time_zone",
        )
