"""The help centre's questions and answers, edited by staff in the admin."""

from django.db import models
from django.db.models import Q

from ismartpay.core.models import TimeStampedModel


class HelpArticle(TimeStampedModel):
    """One question and its answer under a topic; only published ones are shown."""

    class Topic(models.TextChoices):  # in the order the help centre shows them
        SIGNING_IN = "signing_in", "Signing in"
        PAYMENTS = "payments", "Payments and cut-offs"
        DECLINES = "declines", "Declines and returns"
        AUTOPAY = "autopay", "Autopay"
        FEES = "fees", "Fees"
        PAYOFF = "payoff", "Payoff and title"
        STATEMENTS = "statements", "Statements"
        HARDSHIP = "hardship", "Hardship, due dates and extensions"
        SECURITY = "security", "Security"
        PRIVACY = "privacy", "Privacy"

    topic = models.CharField(max_length=12, choices=Topic.choices)
    question = models.CharField(max_length=200)
    answer = models.TextField()  # plain text; blank lines separate paragraphs
    order = models.PositiveSmallIntegerField(default=0)  # within the topic, smallest first
    published = models.BooleanField(default=False)

    class Meta:
        ordering = ["topic", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    topic__in=[
                        "signing_in",
                        "payments",
                        "declines",
                        "autopay",
                        "fees",
                        "payoff",
                        "statements",
                        "hardship",
                        "security",
                        "privacy",
                    ]
                ),
                name="help_article_topic_valid",
            )
        ]

    def __str__(self) -> str:
        return self.question
