"""The Jinja2 environment for markup repeated per row (issue 15 goal 1).

Pages are Django templates. Where a page repeats the same markup for every row of a list,
Django's engine resolves it node by node at every render; Jinja2 compiles a template to
Python once (history's page: 13.3–15.7 ms of template CPU with its 25 rows in Django's
engine, 10.2–11.5 with them in Jinja2, bench/README.md). Such row markup lives in
templates/jinja2/ and a Django template renders it with `{% jinja "…" rows=rows %}`
(ismartpay/core/templatetags/ui.py). What such a template has: autoescaping as Django's
(forced on); the filters `usd` and `date` (Django's `|date:"M j, Y"` is `|date("M j, Y")`
here); the function `badge(label, tone=…)`; nothing else of Django's (no `money`, `icon`,
`url`, `pluralize`: compute such values in Python, as history_rows does the links); and a
name the context does not have is an error, not an empty string. The form widgets use
another Jinja2 engine, Django's own (ismartpay/core/form_renderer.py), without these.
"""

import datetime as dt
import re
from functools import lru_cache

from django.core.signals import setting_changed
from django.template import defaultfilters
from django.utils import timezone, translation
from jinja2 import Environment, StrictUndefined

from .templatetags.ui import badge, usd

# A date (not a datetime) in a format of only these date-only letters (day, weekday, month
# and year numbers and names, ordinal suffix, week and day of the year, leap year, days in
# the month) has the same text every time in one language. Not "U" (seconds since the
# epoch of the date's midnight in TIME_ZONE), "" or a setting's name such as
# "SHORT_DATE_FORMAT" (settings' formats), nor time or timezone letters: those go to Django.
_KEPT_FORMAT = re.compile(r"(?:[bdDEFjlLmMnNoStwWyYz]|[^A-Za-z\\])+")


def date(value: dt.date | dt.datetime | None, format_string: str) -> str:
    """Django's `date` filter: `{{ day|date("M j, Y") }}` -> "Dec 4, 2026"; an aware datetime
    in the lender's timezone (TIME_ZONE), which Django's engine converts to before calling the
    filter; None or what is not a date -> ""."""
    if type(value) is dt.date and _KEPT_FORMAT.fullmatch(format_string):
        return _date_text(value, format_string, translation.get_language())
    return defaultfilters.date(timezone.template_localtime(value), format_string)


@lru_cache(maxsize=4096)  # a few years of days in a format or two: ≈ 1 MB
def _date_text(value: dt.date, format_string: str, language: str | None) -> str:
    """A date's text in an explicit format, kept per process: Django's filter costs ≈ 21 µs
    (it looks up the language's formats and parses the format string every call), and a
    loan page's schedule and a history page show 25 of them (issue 15). Month and day
    names depend on the language, which is in the key, and on translations, which a setting
    change (tests' LOCALE_PATHS) makes this forget."""
    return defaultfilters.date(value, format_string)


def _forget(**kwargs) -> None:
    _date_text.cache_clear()


setting_changed.connect(_forget, dispatch_uid="ismartpay.core.jinja")


def environment(**options) -> Environment:
    """TEMPLATES' Jinja2 backend calls this (OPTIONS["environment"])."""
    # Autoescape whatever OPTIONS say: the {% jinja %} tag marks the output safe.
    options.update(autoescape=True, undefined=StrictUndefined)
    env = Environment(**options)  # noqa: S701 — autoescape=True on the line above
    env.filters.update(usd=usd, date=date)
    env.globals.update(badge=badge)
    return env
