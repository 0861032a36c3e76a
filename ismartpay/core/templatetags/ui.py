"""Template filters of the design system (registered as builtins: no {% load %} needed).

Formatting only: templates never do arithmetic on money.
"""

from decimal import Decimal

from django import template

from ismartpay.core.money import to_cents

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
