"""The nightly `statements` job's body (payments/jobs.py wraps it in a JobRun).

For each open loan: the latest cycle that closed before the business date, if it closed at
most CATCH_UP_DAYS ago (a missed night catches up; a statement months late would mislead),
is made once (documents.services.statement_make) and its "ready" emails are sent once each.
A crash anywhere leaves made statements made; the rerun skips them and sends what is missing.
In January, the year-end interest statement for the year before, once per loan.
"""

import datetime as dt
import logging
from collections import Counter

from django.db.models import Q

from loans.models import Loan, LoanPosting
from loans.selectors import contract_schedule

from .figures import cycle_close, latest_closed_cycle
from .services import statement_make, statement_ready_notices, year_end_make

logger = logging.getLogger("ismartpay.jobs")
CATCH_UP_DAYS = 31
OPEN = (Loan.Status.CURRENT, Loan.Status.PAST_DUE)


def statements_for_day(*, on: dt.date, counts: Counter, lender_timezone: str | None = None):
    loans = Loan.objects.filter(status__in=OPEN).order_by("pk")
    if lender_timezone:
        loans = loans.filter(lender__timezone=lender_timezone)
    for loan in loans.iterator():
        schedule = contract_schedule(loan)
        number = latest_closed_cycle(schedule, on)
        if number is None or (on - cycle_close(schedule, number)).days > CATCH_UP_DAYS:
            continue
        counts["due"] += 1
        try:
            statement, created = statement_make(loan_id=loan.pk, cycle_number=number, on=on)
            counts["charged"] += created
            counts["emails"] += statement_ready_notices(statement)
        except Exception:
            logger.exception("statement for loan %s failed; the next run retries", loan.pk)
            counts["failed"] += 1
    if on.month == 1:
        counts["year_end"] = _year_end(on=on, lender_timezone=lender_timezone)


def _year_end(*, on: dt.date, lender_timezone: str | None) -> int:
    """Every loan open now or with ledger activity in the past year gets its statement."""
    year = on.year - 1
    active = LoanPosting.objects.filter(effective_date__year=year).values("loan_id")
    loans = Loan.objects.filter(Q(status__in=OPEN) | Q(pk__in=active))
    if lender_timezone:
        loans = loans.filter(lender__timezone=lender_timezone)
    made = 0
    for loan_id in loans.values_list("pk", flat=True).order_by("pk"):
        try:
            made += year_end_make(loan_id=loan_id, year=year, on=on)[1]
        except Exception:
            logger.exception("year-end statement for loan %s failed", loan_id)
    return made
