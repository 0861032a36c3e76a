"""SuspenseItem.lender: the lender that received the money (money never crosses lenders).
Backfilled from the item's loan, else its payment's loan; an unidentified item held before
this (no loan, no payment) gets the only lender when there is exactly one, else stays empty
and cannot be applied until an engineer sets it (docs/servicing.md, "Suspense")."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    SuspenseItem = apps.get_model("payments", "SuspenseItem")
    Lender = apps.get_model("loans", "Lender")
    for item in SuspenseItem.objects.filter(lender__isnull=True).select_related(
        "loan", "payment__loan"
    ):
        loan = item.loan or (item.payment.loan if item.payment_id else None)
        if loan is not None:
            SuspenseItem.objects.filter(pk=item.pk).update(lender_id=loan.lender_id)
    lenders = list(Lender.objects.values_list("pk", flat=True)[:2])
    if len(lenders) == 1:
        SuspenseItem.objects.filter(lender__isnull=True).update(lender_id=lenders[0])


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0007_lender_remittance_and_statement_message"),
        ("payments", "0012_payment_loan_posting_foreign_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="suspenseitem",
            name="lender",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="loans.lender",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
