"""Template filters of the design system (registered as builtins: no {% load %} needed).

Formatting only: templates never do arithmetic on money.
"""

import datetime as dt
from decimal import Decimal

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from ismartpay.core.money import to_cents
from ismartpay.core.page_urls import page_url as _page_url

register = template.Library()


@register.filter
def usd(value: Decimal | None) -> str:
    """Decimal("1234.5") -> "$1,234.50"; negatives as "−$5.00"; None -> "—"."""
    if value is None or value == "":
        return "—"
    amount = to_cents(Decimal(value))
    sign = "−" if amount < 0 else ""
    return f"{sign}${abs(amount):,}"


@register.filter
def iso_date(value):
    """ "2026-12-04" (a date kept in an event's JSON detail) -> the date, for `|date:`; a date
    stays; anything else -> None (shown as nothing)."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


@register.filter
def duration_words(value) -> str:
    """timedelta -> "2 h 5 min" (or "5 min"); for cut-off countdowns."""
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


@register.filter
def keep_hyphenated(value) -> str:
    """Each word holding a hyphen ("F-150", "DA-099412") in a no-wrap span: a phone breaks the
    line between words, never after the hyphen. Escapes the text first."""
    from django.utils.html import conditional_escape
    from django.utils.safestring import mark_safe

    words = conditional_escape(value).split(" ")
    return mark_safe(  # noqa: S308 - every word was escaped above
        " ".join(f'<span class="nowrap">{w}</span>' if "-" in w else w for w in words)
    )


# --- the design system's small pieces, as tags ---------------------------------------------------
# They were `{% include "includes/….html" with … %}`: an include costs a template lookup, a new
# context and a render each time (≈ 0.2–0.5 ms; history's table and the nav used dozens per page,
# issue 15). A tag is one format_html call; the markup is the same.
@register.simple_tag
def money(amount: Decimal | None, size: str = "") -> str:
    """A money amount: {% money loan.balance size="lg" %}."""
    return format_html(
        '<span class="money{}">{}</span>', f" money--{size}" if size else "", usd(amount)
    )


@register.simple_tag
def badge(label, tone: str = "") -> str:
    """A status pill: {% badge "Paid" tone="success" %}. tone: success | warning | danger |
    neutral | info. The text says it all: colour is never the only signal."""
    return format_html('<span class="badge{}">{}</span>', f" badge--{tone}" if tone else "", label)


@register.simple_tag
def icon(name: str, **attrs) -> str:
    """An icon from the SVG sprite, decorative: {% icon "car" %} or {% icon "car" class="x" %}."""
    if unknown := set(attrs) - {"class"}:
        raise template.TemplateSyntaxError(f"icon takes only class=, not {sorted(unknown)}")
    extra = attrs.get("class")
    return format_html(
        '<svg class="icon{}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        f" {extra}" if extra else "",
        static("icons/sprite.svg"),
        name,
    )


@register.simple_tag(takes_context=True)
def page_url(context, viewname: str) -> str:
    """`{% url %}` for a page without arguments, reversed once per process:
    {% page_url "payments:history" %} (ismartpay/core/page_urls.py says why). For links
    rendered on every page (base.html, where a test forbids `{% url %}`); elsewhere
    `{% url %}` is fine (≈ 25 µs). No arguments; NoReverseMatch raises, also with `as var`
    (which `{% url … as var %}` turns into ""). The current app is found as `{% url %}`
    finds it."""
    try:
        current_app = context.request.current_app
    except AttributeError:
        try:
            current_app = context.request.resolver_match.namespace
        except AttributeError:
            current_app = None
    return _page_url(viewname, current_app=current_app)


@register.simple_tag
def jinja(template_name: str, **context) -> str:
    """Markup repeated per row, from a Jinja2 template (templates/jinja2/, autoescaped) given
    only these variables: {% jinja "payments/history/items.html" rows=rows %}. See
    ismartpay/core/jinja.py for why."""
    from django.template import engines
    from django.utils.safestring import mark_safe

    html = engines["jinja2"].get_template(template_name).render(context)
    return mark_safe(html)  # noqa: S308 — rendered by an autoescaping engine
