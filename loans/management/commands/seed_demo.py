from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from loans.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo_data


class Command(BaseCommand):
    help = "Idempotently create the demo lender, borrower and loans, and print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (the demo password is public: never in production).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates a user with a public password: DEBUG only.")
        result = seed_demo_data(today=timezone.localdate())
        self.stdout.write(
            f"Demo data ready ({result.loans_created} loans created, "
            f"{'new' if result.user_created else 'existing'} borrower).\n"
            f"Sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}"
        )
