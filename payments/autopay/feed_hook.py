"""Upcoming autopay debits per loan, for the borrower's calendar feed."""

import datetime as dt
from decimal import Decimal

from ismartpay.core.today import business_date

from ..models import AutopayPlan
from .selectors import plan_upcoming


def autopay_dates_for_user(
    user, *, now: dt.datetime, count: int = 12
) -> dict[int, list[tuple[dt.date, Decimal]]]:
    """{loan_id: [(debit date, amount), …]} for the user's active plans (the loans app's
    calendar_events_for_user(autopay_dates=…) hook), each plan's from its lender's business
    date at `now`."""
    plans = AutopayPlan.objects.filter(owner=user, status=AutopayPlan.Status.ACTIVE).select_related(
        "loan__lender"
    )
    return {
        plan.loan_id: [
            (debit.run_date, debit.amount)
            for debit in plan_upcoming(
                plan, today=business_date(plan.loan.lender, now), count=count
            )
        ]
        for plan in plans
    }
