"""The ledger's last payment kept on the loan (issue 15 goal 1): two columns, filled for the
loans that exist from their postings in one UPDATE, by the rule of
loans/history.ledger_last_payment_query as it stands at this migration."""

from django.db import migrations, models
from django.db.models import ExpressionWrapper, F, OuterRef, Subquery


def fill_from_the_ledger(apps, schema_editor):
    Loan = apps.get_model("loans", "Loan")
    LoanPosting = apps.get_model("loans", "LoanPosting")
    last = LoanPosting.objects.filter(
        loan=OuterRef("pk"), kind="payment", reversal__isnull=True
    ).order_by("-effective_date", "-pk")
    received = ExpressionWrapper(
        F("fees") + F("interest") + F("principal") + F("unapplied"),
        output_field=models.DecimalField(max_digits=12, decimal_places=2),
    )
    Loan.objects.using(schema_editor.connection.alias).update(
        ledger_last_payment_date=Subquery(last.values("effective_date")[:1]),
        ledger_last_payment_amount=Subquery(last.annotate(amount=received).values("amount")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [("loans", "0012_staff_request_remittance_apply_flag_fingerprint")]

    operations = [
        migrations.AddField(
            model_name="loan",
            name="ledger_last_payment_date",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="loan",
            name="ledger_last_payment_amount",
            field=models.DecimalField(
                blank=True, decimal_places=2, editable=False, max_digits=12, null=True
            ),
        ),
        migrations.RunPython(fill_from_the_ledger, migrations.RunPython.noop),
    ]
