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
