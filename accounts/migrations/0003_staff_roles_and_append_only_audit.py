from django.contrib.auth.management import create_permissions
from django.db import migrations

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION accounts_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'accounts_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_auditevent_append_only
    BEFORE UPDATE OR DELETE ON accounts_auditevent
    FOR EACH ROW EXECUTE FUNCTION accounts_auditevent_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent;
DROP FUNCTION IF EXISTS accounts_auditevent_append_only();
"""


def create_roles(apps, schema_editor):
    from accounts.roles import staff_roles_sync

    # Permissions are normally created after migrations; the roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    staff_roles_sync(apps)


def delete_roles(apps, schema_editor):
    from accounts.roles import SUPERVISOR, SUPPORT_AGENT

    apps.get_model("auth", "Group").objects.filter(name__in=[SUPPORT_AGENT, SUPERVISOR]).delete()


def add_trigger(apps, schema_editor):
    # Staff (and the app itself) may never change or delete an audit row. PostgreSQL only:
    # SQLite is the single-machine development mode, where the model guard suffices.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_second_factors_profile_activity_audit"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, delete_roles),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
