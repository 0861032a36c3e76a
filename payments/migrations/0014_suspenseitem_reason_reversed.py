"""SuspenseItem.Reason `reversed`: a reversed payment's money the lender holds is held in
suspense (lifecycle.payment_reverse), not dropped."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0013_suspenseitem_lender"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="suspenseitem",
            name="suspense_reason_valid",
        ),
        migrations.AlterField(
            model_name="suspenseitem",
            name="reason",
            field=models.CharField(
                choices=[
                    ("overpayment", "More than the payoff"),
                    ("unidentified", "No matching loan"),
                    ("loan_closed", "Loan closed or paid off"),
                    ("moved", "Left over after moving a payment"),
                    ("reversed", "Payment reversed"),
                ],
                max_length=14,
            ),
        ),
        migrations.AddConstraint(
            model_name="suspenseitem",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "reason__in",
                        ["overpayment", "unidentified", "loan_closed", "moved", "reversed"],
                    )
                ),
                name="suspense_reason_valid",
            ),
        ),
    ]
