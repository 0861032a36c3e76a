"""The ledger's last payment kept on the loan (issue 15 goal 1): two nullable columns (no
table rewrite); 0014 fills them."""

from django.db import migrations, models


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
    ]
