"""The borrower's calendar events (due dates and autopay debits) for the iCal feed
(loans/ical.py renders them; payments/autopay/feed_hook.py fills the autopay hook)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ismartpay.core.today import business_date

from . import delinquency, permissions
from .models import Loan
from .selectors import contract_schedule, loan_position


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    day: dt.date
    summary: str
    description: str


def calendar_events_for_user(
    user,
    *,
    now: dt.datetime,
    autopay_dates: dict[int, list[tuple[dt.date, Decimal]]] | None = None,
    months_ahead: int = 12,
) -> list[CalendarEvent]:
    """Upcoming due dates of the user's loans (borrower and co-borrower links only) and, via
    the `autopay_dates` hook ({loan_id: [(debit date, amount)]}, filled by the payments app),
    the autopay debit dates. Each loan from its lender's business date at `now` (a due date is
    still ahead until the lender's day is over, as on the dashboard).
    """
    autopay_dates = autopay_dates or {}
    loans = Loan.objects.filter(
        links__user=user, links__role__in=permissions.OWNER_ROLES
    ).select_related("lender")
    events = []
    for loan in loans:
        if loan.status in (Loan.Status.PAID_OFF, Loan.Status.CHARGED_OFF, Loan.Status.CLOSED):
            continue
        sched, today = contract_schedule(loan), business_date(loan.lender, now)
        first = delinquency.covered_installments(sched, loan_position(loan, today)) + 1
        for number in range(first, min(first + months_ahead, loan.term_months + 1)):
            due = sched.due_date(number)
            if due < today:
                continue
            events.append(
                CalendarEvent(
                    uid=f"due-{loan.pk}-{number}@ismartpay",
                    day=due,
                    summary=f"Car payment due: {loan.vehicle}",
                    description=(
                        f"{loan.lender.name} loan {loan.loan_number}: installment {number} of "
                        f"{loan.term_months}, ${loan.installment_amount:,}."
                    ),
                )
            )
        for day, amount in autopay_dates.get(loan.pk, []):
            events.append(
                CalendarEvent(
                    uid=f"autopay-{loan.pk}-{day.isoformat()}@ismartpay",
                    day=day,
                    summary=f"Autopay ${amount:,}: {loan.vehicle}",
                    description=f"Automatic payment to {loan.lender.name} loan {loan.loan_number}.",
                )
            )
    return sorted(events, key=lambda event: (event.day, event.uid))
