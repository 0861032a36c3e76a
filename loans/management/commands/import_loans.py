from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from loans.importing import import_loans


class Command(BaseCommand):
    help = (
        "Load or update servicing records from the lender's CSV (columns in contracts.md). "
        "Bad rows are reported by line number and nothing is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="UTF-8 CSV with a header row")

    def handle(self, *args, file: str, **options):
        try:
            with open(file, encoding="utf-8", newline="") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        result = import_loans(text, today=timezone.localdate())
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(result.errors)} bad row(s); nothing was imported.")
        self.stdout.write(
            self.style.SUCCESS(f"Imported: {result.created} created, {result.updated} updated.")
        )
