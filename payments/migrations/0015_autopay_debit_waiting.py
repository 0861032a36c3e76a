"""AutopayDebit.Status `waiting`: a debit priced only after an earlier period's debit of its
loan is no longer open (payments/autopay/period_order.py); JobRun.waiting counts them; an index
of the open debits by plan, which that rule reads once a part."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0014_suspenseitem_reason_reversed'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='autopaydebit',
            name='autopay_debit_status_valid',
        ),
        migrations.AddField(
            model_name='jobrun',
            name='waiting',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='autopaydebit',
            name='status',
            field=models.CharField(choices=[('due', 'Due'), ('claimed', 'Claimed by a worker'), ('submitting', 'Sent to the processor'), ('retry', 'Waiting to retry'), ('waiting', 'Waiting for an earlier payment'), ('charged', 'Charged'), ('failed', 'Failed'), ('skipped', 'Skipped')], default='due', max_length=10),
        ),
        migrations.AddConstraint(
            model_name='autopaydebit',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['due', 'claimed', 'submitting', 'retry', 'waiting', 'charged', 'failed', 'skipped'])), name='autopay_debit_status_valid'),
        ),
        migrations.AddIndex(
            model_name='autopaydebit',
            index=models.Index(condition=models.Q(('status__in', ['due', 'claimed', 'submitting', 'retry', 'waiting'])), fields=['plan'], name='autopay_debit_open_by_plan'),
        ),
    ]
