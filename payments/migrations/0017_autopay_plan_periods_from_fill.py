"""Fill AutopayPlan.periods_from for the live monthly plans 0016 left without one.

A plan whose loan's due day or term changed before 0016 has debits keyed by the old due dates;
without periods_from its next payment was looked for from the loan's first due date, and an
installment paid under its old date was taken for "next" again: charged twice after a skip
and its undo, or every borrower change refused (issue 15, attacker review helper-65).

The code before 0016 kept the cursor (next_period_key) on the period after the plan's latest
debit row, under the loan's current schedule, so that is where its periods start — or at the
earliest skip the borrower can still undo, so undoing it brings that installment back. A plan
with no cursor (its term ran out) starts the day after its latest debit's period. Plans
without debits and biweekly plans keep none: they start at the schedule's beginning, as they
did. Idempotent: only rows still without periods_from are written.
"""

import datetime as dt

from django.db import migrations

BORROWER_SKIP = "skipped by the borrower"  # payments/autopay/selectors.py
LIVE = ("active", "paused", "suspended")


def _periods_from(plan, debits, today: dt.date) -> dt.date | None:
    starts = [plan.next_period_key] if plan.next_period_key else []
    skips = debits.filter(status="skipped", reason=BORROWER_SKIP, run_date__gte=today)
    starts += skips.values_list("period_key", flat=True)
    if starts:
        return min(starts)
    latest = debits.order_by("-period_key").values_list("period_key", flat=True).first()
    return latest + dt.timedelta(days=1) if latest else None


def fill_periods_from(apps, schema_editor) -> None:
    plan_model = apps.get_model("payments", "AutopayPlan")
    debit_model = apps.get_model("payments", "AutopayDebit")
    # UTC's date is never behind a US lender's: a skip running today may be left out, and
    # its cut-off has passed anyway.
    today = dt.datetime.now(dt.UTC).date()
    plans = plan_model.objects.filter(status__in=LIVE, periods_from__isnull=True).exclude(
        schedule="biweekly"
    )
    for plan in plans.iterator():
        start = _periods_from(plan, debit_model.objects.filter(plan_id=plan.pk), today)
        if start is not None:
            plan_model.objects.filter(pk=plan.pk, periods_from__isnull=True).update(
                periods_from=start
            )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0016_autopay_plan_periods_from"),
    ]

    operations = [
        migrations.RunPython(fill_periods_from, migrations.RunPython.noop, elidable=True),
    ]
