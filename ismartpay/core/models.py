from django.db import models


class TimeStampedModel(models.Model):
    """created/updated stamps (aware datetimes, stored in UTC)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def money_field(**kwargs) -> models.DecimalField:
    """Dollars and cents: NUMERIC(12,2)."""
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)
