from django.core.management.base import BaseCommand

from ismartpay.celery import declare_queues


class Command(BaseCommand):
    help = "Declare the Celery queues on the broker (run before starting workers and beat)."

    def handle(self, *args, **options):
        names = declare_queues()
        self.stdout.write(f"Broker ready; queues declared: {', '.join(names)}")
