"""`manage.py assess_late_fees [--date YYYY-MM-DD]`: the nightly job, as Celery beat runs it."""

import datetime as dt
import json

from django.core.management.base import BaseCommand

from payments import jobs


class Command(BaseCommand):
    help = "Run the nightly job 'assess_late_fees' for a business date (default: today)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=dt.date.fromisoformat,
            default=None,
            help="business date YYYY-MM-DD (default: today in the default lender time zone)",
        )

    def handle(self, *args, date=None, **options):
        on = date or jobs.default_business_date()
        result = jobs.assess_late_fees(on=on)
        line = {"job": "assess_late_fees", "date": on.isoformat(), "result": result}
        self.stdout.write(json.dumps(line, default=str))
