"""The status badge a loan shows (dashboard, loan page): words and a design-system tone."""

import datetime as dt
from dataclasses import dataclass

from . import delinquency
from .models import Loan

DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class StatusBadge:
    label: str
    tone: str  # design-system tone: success | warning | danger | neutral | info


def status_badge(
    status: str, days_late: int, next_due: dt.date | None, today: dt.date
) -> StatusBadge:
    if status in (Loan.Status.CHARGED_OFF, Loan.Status.CLOSED):
        return StatusBadge(Loan.Status(status).label, "neutral")
    if status == delinquency.PAID_OFF:
        return StatusBadge("Paid off", "success")
    if status == delinquency.PAST_DUE:
        return StatusBadge(f"Past due {days_late} day{'s' if days_late != 1 else ''}", "danger")
    if next_due is not None and (next_due - today).days <= DUE_SOON_DAYS:
        return StatusBadge("Due soon", "warning")
    return StatusBadge("Current", "success")
