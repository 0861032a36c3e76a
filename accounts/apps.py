from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_staff_roles(sender, using="default", **kwargs):
    """Keep the staff groups' view permissions complete as apps add models (setup, not business
    logic: the same job as Django's own create_permissions, which also runs on post_migrate)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from .roles import staff_roles_sync

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    staff_roles_sync(apps)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Borrower accounts"
    default = True

    def ready(self):
        post_migrate.connect(_sync_staff_roles, sender=self, dispatch_uid="accounts_staff_roles")
