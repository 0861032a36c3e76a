"""Row markup rendered by Jinja2 from a Django template (`{% jinja %}`, ismartpay/core/jinja.py):
escaped as Django escapes, Django's date format, and a misspelt name is an error."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template, defaultfilters, engines
from django.test import override_settings
from django.utils import formats, translation
from jinja2 import UndefinedError

from ismartpay.core.jinja import _KEPT_FORMAT, date


def _row(**payment):
    fields = {
        "amount": Decimal("483.32"),
        "method_label": "Visa •••• 4242",
        "reference": "PABCDE-FGHJK",
        "loan": SimpleNamespace(loan_number="DA-099412"),
        "fee_amount": Decimal("0.00"),
        **payment,
    }
    return SimpleNamespace(
        payment=SimpleNamespace(**fields),
        status_label="Posted",
        status_tone="success",
        allocation=None,
        undone=False,
        date_shown=dt.date(2026, 12, 4),
        date_label="",
        detail_url="/payments/p/PABCDE-FGHJK/",
        receipt_url="",
        troubleshoot_url="",
    )


def _history_items(rows) -> str:
    return Template('{% jinja "payments/history/items.html" rows=rows %}').render(
        Context({"rows": rows})
    )


def test_history_rows_show_each_value_and_escape_what_a_person_typed():
    html = _history_items([_row(method_label='<script>alert("x")</script>')])
    assert '<span class="money">$483.32</span>' in html
    assert '<span class="nowrap">Dec 4, 2026</span>' in html
    assert '<span class="badge badge--success">Posted</span>' in html
    assert '<dd class="ref">PABCDE-FGHJK</dd>' in html and "<dd>DA-099412</dd>" in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "Card fee" not in html and "Receipt (PDF)" not in html


def test_the_jinja_tag_output_is_not_escaped_again_by_the_django_page():
    html = _history_items([_row()])
    assert html.lstrip().startswith('<li class="card history-item">')
    assert "&lt;li" not in html


def test_a_name_the_row_does_not_have_is_an_error_not_an_empty_string():
    row = _row()
    del row.status_label
    with pytest.raises(UndefinedError):
        _history_items([row])


@pytest.mark.parametrize(
    "value",
    [
        dt.date(2026, 12, 4),
        dt.datetime(2026, 3, 5, 2, 30, tzinfo=dt.UTC),  # Mar 4 in New York
        None,
        "2026-12-04",  # not a date: "" from both
    ],
)
def test_the_date_filter_formats_as_djangos(value):
    django_date = engines["django"].from_string('{{ value|date:"M j, Y" }}')
    assert date(value, "M j, Y") == django_date.render({"value": value})
    if isinstance(value, dt.datetime):
        assert date(value, "M j, Y") == "Mar 4, 2026"


def test_schedule_rows_mark_the_paid_ones_and_the_next_one():
    rows = [
        SimpleNamespace(
            number=n,
            due_date=dt.date(2026, n, 5),
            payment=Decimal("483.32"),
            interest=Decimal("60.25"),
            principal=Decimal("423.07"),
            balance_after=Decimal("18000.00"),
        )
        for n in (10, 11, 12)
    ]
    html = Template('{% jinja "loans/schedule_rows.html" rows=rows made=10 %}').render(
        Context({"rows": rows})
    )
    items = html.split("<li ")[1:]
    assert [item.split(">", 1)[0] for item in items] == [
        'class="schedule__row is-paid"',
        'class="schedule__row is-next" id="next-payment"',
        'class="schedule__row"',
    ]
    assert '<span class="badge badge--success">Paid</span>' in items[0]
    assert '<span class="badge badge--info">Next</span>' in items[1]
    assert '<time class="nowrap" datetime="2026-11-05">Nov 5, 2026</time>' in items[1]
    assert "<dd>$60.25</dd>" in items[2] and "<dd>$18,000.00</dd>" in items[2]


def test_a_kept_date_text_follows_the_active_language():
    day = dt.date(2026, 12, 4)
    assert date(day, "M j, Y") == "Dec 4, 2026"
    with translation.override("de"):
        assert date(day, "M j, Y") == "Dez 4, 2026"
    assert date(day, "M j, Y") == "Dec 4, 2026"


@pytest.mark.parametrize(
    "format_string", ["U", "", "SHORT_DATE_FORMAT", "DATE_FORMAT", r"j \o\f F"]
)
def test_a_format_that_settings_can_change_is_not_kept(format_string):
    """ "U" is the date's midnight in TIME_ZONE, "" and a setting's name are settings' formats:
    each follows the settings as Django's filter does."""
    day = dt.date(2026, 12, 4)
    with translation.override(None):
        date(day, format_string)
        with override_settings(TIME_ZONE="Asia/Tokyo", DATE_FORMAT="Y-m-d"):
            assert date(day, format_string) == defaultfilters.date(day, format_string)


def test_no_setting_name_is_taken_for_a_kept_format():
    assert not [name for name in formats.FORMAT_SETTINGS if _KEPT_FORMAT.fullmatch(name)]
