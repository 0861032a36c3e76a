"""Step 1 of the nightly autopay run: turn every period due by the business date into a debit
row, and move each plan's cursor to its next open period.

Exactly once, by the database: one AutopayDebit per (plan, period), inserted with
INSERT … ON CONFLICT DO NOTHING (`insert_rows(…, ignore_conflicts=True)`), so a period that
already has a row (a borrower's skip) keeps it; plans are taken with SELECT … FOR UPDATE SKIP
LOCKED, so concurrent coordinators split them. Missed periods (the job did not run for days)
are all inserted: that is the catch-up.
"""

import datetime as dt
from collections import defaultdict

from django.db import transaction

from ismartpay.core.arrays import any_of
from ismartpay.core.bulk import insert_rows, update_rows

from ..models import AutopayDebit, AutopayPlan
from . import schedule as sched
from .selectors import loan_terms, plan_terms

P = AutopayPlan.Status
SCHEDULE_BATCH = 2000


def autopay_schedule_due(*, on: dt.date, lender_timezone: str | None = None) -> int:
    """Insert a debit row for every period due by `on` of every active plan; advance each
    plan's cursor. Returns the number of plans looked at. Safe to run twice or concurrently."""
    seen = 0
    ended: list[tuple[int, str]] = []
    while True:
        with transaction.atomic():
            plans = AutopayPlan.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                status=P.ACTIVE, next_run_date__lte=on
            )
            if lender_timezone:
                plans = plans.filter(loan__lender__timezone=lender_timezone)
            plans = list(plans.select_related("loan").order_by("pk")[:SCHEDULE_BATCH])
            if not plans:
                break
            ahead = _rows_ahead(plans, on)
            rows, cursors = [], []
            for plan in plans:
                made, nxt = _due_periods(plan, on, ahead[plan.pk])
                rows += [
                    AutopayDebit(plan_id=plan.pk, period_key=p.key, run_date=p.run_date)
                    for p in made
                ]
                cursors.append((plan.pk, nxt.key if nxt else None, nxt.run_date if nxt else None))
                if nxt is None:
                    ended.append((plan.pk, "The plan's last payment date has passed."))
            insert_rows(AutopayDebit, rows, ignore_conflicts=True)  # a period already there stays
            update_rows(AutopayPlan, ("next_period_key", "next_run_date"), cursors)  # one UPDATE
            seen += len(plans)
    from .system_stops import autopay_end

    for plan_id, reason in ended:
        autopay_end(plan_id=plan_id, reason=reason)
    return seen


def _rows_ahead(plans: list[AutopayPlan], on: dt.date) -> dict[int, set[dt.date]]:
    """{plan id: period keys} of the rows the plans already have for run dates after `on` (a
    borrower's skip beyond an undone one): one statement a batch, almost always empty."""
    ahead: dict[int, set[dt.date]] = defaultdict(set)
    # A run date is on or before its period's key, so `period_key > on` holds for every row
    # wanted: the unique (plan, period_key) index finds them, not a scan of the plans' rows.
    rows = AutopayDebit.objects.filter(
        any_of("plan_id", [plan.pk for plan in plans]), period_key__gt=on, run_date__gt=on
    )
    for plan_id, key in rows.values_list("plan_id", "period_key"):
        ahead[plan_id].add(key)
    return ahead


def _due_periods(
    plan: AutopayPlan, on: dt.date, ahead: set[dt.date]
) -> tuple[list[sched.Period], sched.Period | None]:
    """The plan's periods from its cursor with a run date by `on` (and on or after
    `charge_from`), and its next open period after them: a period in `ahead` has its row."""
    terms, lterms = plan_terms(plan), loan_terms(plan.loan)
    made = [
        period
        for period in sched.periods(terms, lterms, from_key=plan.next_period_key, run_through=on)
        if period.run_date >= plan.charge_from
    ]
    after = made[-1].key if made else plan.next_period_key - dt.timedelta(days=1)
    not_before = max(plan.charge_from, on + dt.timedelta(1))
    for period in sched.periods(terms, lterms, after=after, from_key=after):
        if period.run_date >= not_before and period.key not in ahead:
            return made, period
    return made, None
