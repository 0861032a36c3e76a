"""`manage.py assess_late_fees [--date YYYY-MM-DD]`: the nightly job, as Celery beat runs it."""

from payments.management.job_command import JobCommand


class Command(JobCommand):
    job = "assess_late_fees"
