"""`manage.py run_daily [--date YYYY-MM-DD]`: the nightly job, as Celery beat runs it."""

from payments.management.job_command import JobCommand


class Command(JobCommand):
    job = "run_daily"
