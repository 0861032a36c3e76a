"""The shape every nightly-job command shares: `manage.py <job> [--date YYYY-MM-DD]` runs
`payments.jobs.<job>(on=date)` exactly as Celery beat does and prints one JSON line."""

import datetime as dt
import json

from django.core.management.base import BaseCommand

from payments import jobs


class JobCommand(BaseCommand):
    job: str  # the name of a function in payments.jobs that takes on=<business date>

    @property
    def help(self) -> str:
        return f"Run the nightly job '{self.job}' for a business date (default: today)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=dt.date.fromisoformat,
            default=None,
            help="business date YYYY-MM-DD (default: today in the default lender time zone)",
        )

    def handle(self, *args, date=None, **options):
        on = date or jobs.default_business_date()
        result = getattr(jobs, self.job)(on=on)
        line = {"job": self.job, "date": on.isoformat(), "result": result}
        self.stdout.write(json.dumps(line, default=str))
