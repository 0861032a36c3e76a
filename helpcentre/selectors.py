"""Reads for the help centre page."""

from dataclasses import dataclass

from django.db.models import Q

from loans.models import Lender

from .models import HelpArticle

MAX_QUERY_WORDS = 8


@dataclass(frozen=True)
class TopicGroup:
    key: str
    label: str
    articles: list[HelpArticle]


def help_articles(*, query: str = "") -> list[TopicGroup]:
    """Published articles grouped by topic, in topic order. With `query`, only articles whose
    question or answer contains every word of it (case-insensitive)."""
    articles = HelpArticle.objects.filter(published=True)
    for word in query.split()[:MAX_QUERY_WORDS]:
        articles = articles.filter(Q(question__icontains=word) | Q(answer__icontains=word))
    by_topic: dict[str, list[HelpArticle]] = {}
    for article in articles.order_by("order", "pk"):
        by_topic.setdefault(article.topic, []).append(article)
    return [
        TopicGroup(key, label, by_topic[key])
        for key, label in HelpArticle.Topic.choices
        if key in by_topic
    ]


def lenders_for_user(user) -> list[Lender]:
    """The lenders of the loans `user` may see, for their phone and hours (none if signed out)."""
    if not user.is_authenticated:
        return []
    return list(Lender.objects.filter(loans__links__user=user).distinct().order_by("name"))
