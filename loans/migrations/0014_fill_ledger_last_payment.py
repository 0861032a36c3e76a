"""Fill the loans' kept last payment from their postings (loans/history.loans_refill_last_payment),
a batch of loans a transaction, outside 0013's: the ALTER TABLE's exclusive lock is not held
while every loan is updated, and each batch locks only its own loans."""

from django.db import migrations


def fill_from_the_ledger(apps, schema_editor):
    from loans.history import loans_refill_last_payment

    alias = schema_editor.connection.alias
    loans_refill_last_payment(
        loans=apps.get_model("loans", "Loan").objects.using(alias),
        postings=apps.get_model("loans", "LoanPosting").objects.using(alias),
    )


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("loans", "0013_loan_ledger_last_payment")]

    operations = [migrations.RunPython(fill_from_the_ledger, migrations.RunPython.noop)]
