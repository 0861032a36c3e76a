"""Payment.loan_posting_id (a bare integer) becomes the foreign key Payment.loan_posting to
loans.LoanPosting. The column ends with its old name (loan_posting_id) and type (bigint): the
rename gives the field its new name, the alter makes it a foreign key (constraint + index)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0007_lender_remittance_and_statement_message"),
        ("payments", "0011_payment_authorization_version"),
    ]

    operations = [
        migrations.RenameField(
            model_name="payment", old_name="loan_posting_id", new_name="loan_posting"
        ),
        migrations.AlterField(
            model_name="payment",
            name="loan_posting",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="loans.loanposting",
            ),
        ),
    ]
