"""Beat's nightly run starts per lender time zone, after 01:00 local, once per business date."""

import datetime as dt

import pytest
import time_machine
from factories import LenderFactory

from payments.models import JobRun
from payments.tasks import run_daily_due

pytestmark = pytest.mark.django_db


def _runs():
    return sorted(JobRun.objects.filter(job="run_daily").values_list("scope", "business_date"))


def test_each_lender_time_zone_runs_its_own_night_once():
    LenderFactory(name="East Auto", timezone="America/New_York")
    LenderFactory(name="West Auto", timezone="America/Los_Angeles")
    nov_30, dec_1 = dt.date(2026, 11, 30), dt.date(2026, 12, 1)

    def beat_at(hour: int, minute: int) -> list[str]:
        with time_machine.travel(dt.datetime(2026, 12, 1, hour, minute, tzinfo=dt.UTC), tick=False):
            return run_daily_due()

    # 05:30 UTC: 00:30 in New York (not yet 01:00); 21:30 on Nov 30 in Los Angeles, whose
    # Nov 30 run has not happened yet: it catches up at once.
    assert beat_at(5, 30) == ["America/Los_Angeles:2026-11-30"]
    assert beat_at(6, 30) == ["America/New_York:2026-12-01"]  # 01:30 in New York
    assert beat_at(6, 45) == []  # beat fires every 15 minutes; nothing runs twice
    assert beat_at(9, 30) == ["America/Los_Angeles:2026-12-01"]  # 01:30 in Los Angeles
    assert beat_at(9, 45) == []
    assert _runs() == [
        ("America/Los_Angeles", nov_30),
        ("America/Los_Angeles", dec_1),
        ("America/New_York", dec_1),
    ]
