from django.apps import apps
from django.core.management.base import BaseCommand

from accounts.roles import SUPERVISOR, SUPPORT_AGENT, staff_roles_sync


class Command(BaseCommand):
    help = "Create or refresh the staff groups (support agent, supervisor); safe to run twice."

    def handle(self, *args, **options):
        staff_roles_sync(apps)
        self.stdout.write(f"Staff roles up to date: {SUPPORT_AGENT}, {SUPERVISOR}.")
