from django.core.management.base import BaseCommand

from loans.history import loans_refill_last_payment


class Command(BaseCommand):
    help = (
        "Set every loan's kept last payment from its ledger again (idempotent). After the "
        "deploy that added it (migrations 0013-0014), run it once every process of the code "
        "before it has been stopped or restarted: what they posted did not keep it."
    )

    def handle(self, *args, **options):
        changed = loans_refill_last_payment()
        self.stdout.write(self.style.SUCCESS(f"Last payment set again: {changed} loan(s) changed."))
