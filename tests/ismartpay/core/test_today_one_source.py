""" "Today" has one source per purpose (ismartpay/core/today.py, issue 12 item 8): services,
selectors and the money modules never read timezone.localdate() themselves."""

import ast
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import ismartpay
from ismartpay.core.today import business_date, display_date

ROOT = Path(ismartpay.__file__).resolve().parent.parent
APPS = ("accounts", "documents", "ismartpay", "loans", "payments")
# Modules that compute money dates without being named services*/selectors*.
MONEY_MODULES = {
    "payments/jobs.py",
    "payments/preview.py",
    "payments/timing.py",
    "payments/risk.py",
}
# Left for the branches that own them (under edit elsewhere; they take `on`/`now` already).
ALLOWED: set[str] = set()


def _is_service_or_selector(rel: str) -> bool:
    parts = rel.split("/")
    return rel in MONEY_MODULES or any(p.startswith(("services", "selectors")) for p in parts)


def _localdate_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text())
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "localdate"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "timezone"
    ]


def test_no_service_or_selector_reads_timezone_localdate_directly():
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if "migrations" in path.parts or not _is_service_or_selector(rel) or rel in ALLOWED:
                continue
            found += [f"{rel}:{line}" for line in _localdate_calls(path)]
    assert found == []


def test_the_business_date_is_the_lenders_and_the_display_date_the_borrowers():
    # 03:30 UTC on Dec 1 is 22:30 on Nov 30 in New York and 19:30 in Los Angeles.
    now = dt.datetime(2026, 12, 1, 3, 30, tzinfo=dt.UTC)
    hawaii = SimpleNamespace(timezone="Pacific/Honolulu")
    assert business_date(None, now) == dt.date(2026, 11, 30)  # settings.TIME_ZONE, New York
    assert business_date(hawaii, now) == dt.date(2026, 11, 30)
    assert business_date(SimpleNamespace(timezone="Europe/London"), now) == dt.date(2026, 12, 1)
    reader = SimpleNamespace(profile=SimpleNamespace(time_zone="America/Los_Angeles"))
    assert display_date(reader, now) == dt.date(2026, 11, 30)
    assert display_date(SimpleNamespace(profile=SimpleNamespace(time_zone="")), now) == dt.date(
        2026, 11, 30
    )
    assert display_date(None, dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC)) == dt.date(2026, 12, 1)
