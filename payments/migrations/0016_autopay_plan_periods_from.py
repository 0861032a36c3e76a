"""AutopayPlan.periods_from: a monthly plan's first period under the loan's current schedule,
set by a due-day or term change (payments/autopay/reschedule.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0015_autopay_debit_waiting"),
    ]

    operations = [
        migrations.AddField(
            model_name="autopayplan",
            name="periods_from",
            field=models.DateField(blank=True, null=True),
        ),
    ]
