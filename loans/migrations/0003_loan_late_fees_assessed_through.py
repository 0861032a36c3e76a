"""Issue 9, finding 8: a loan's record says which installments' late fees are already assessed.

Loans that exist already get what a lender record without the new import column means (see
`services._late_fees_through_for_record`): the record, as of the last day it was applied (the
loan's creation or its latest import `adjustment`, in the lender's time zone), covers every
installment whose grace period had ended by then; never below the highest installment with a
late fee on the ledger. So a fee that came in as `unpaid_fees` is not assessed a second time.
"""

from zoneinfo import ZoneInfo

from django.db import migrations, models
from django.db.models import Max, Q

from loans.delinquency import ContractSchedule, late_fee_due_count

BATCH = 1000


def backfill(apps, schema_editor):
    Loan = apps.get_model("loans", "Loan")
    loans = (
        Loan.objects.select_related("lender")
        .annotate(
            last_adjusted=Max("postings__effective_date", filter=Q(postings__kind="adjustment")),
            highest_fee=Max("postings__installment_number", filter=Q(postings__kind="late_fee")),
        )
        .order_by("pk")
    )
    changed = []
    for loan in loans.iterator(chunk_size=BATCH):
        recorded_on = loan.created_at.astimezone(ZoneInfo(loan.lender.timezone)).date()
        if loan.last_adjusted is not None:
            recorded_on = max(recorded_on, loan.last_adjusted)
        schedule = ContractSchedule(
            first_due_date=loan.first_due_date,
            due_day=loan.due_day,
            term_months=loan.term_months,
            installment=loan.installment_amount,
        )
        by_lender = late_fee_due_count(schedule, loan.lender.grace_days, recorded_on)
        value = min(max(by_lender, loan.highest_fee or 0), loan.term_months)
        if value:
            loan.late_fees_assessed_through = value
            changed.append(loan)
        if len(changed) >= BATCH:
            Loan.objects.bulk_update(changed, ["late_fees_assessed_through"])
            changed = []
    Loan.objects.bulk_update(changed, ["late_fees_assessed_through"])


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0002_ledger_links_invitations_calendar"),
    ]

    operations = [
        migrations.AddField(
            model_name="loan",
            name="late_fees_assessed_through",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="loan",
            constraint=models.CheckConstraint(
                condition=models.Q(late_fees_assessed_through__lte=models.F("term_months")),
                name="loan_late_fees_assessed_within_term",
            ),
        ),
    ]
