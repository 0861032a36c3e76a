"""`{% inbox_unread as counts %}`: the header's unread badges (notices, messages)."""

from django import template

from ..inbox import unread_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_unread(context) -> dict[str, int]:
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return {"notices": 0, "messages": 0}
    return unread_counts(user)
