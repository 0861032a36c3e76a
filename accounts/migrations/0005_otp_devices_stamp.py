"""The user's device stamp (issue 15 goal 1): moved on by the database whenever a device of the
user is deleted, unconfirmed (or confirmed) or given to another user, whatever did it — a
service, the admin, a queryset update, raw SQL — so a session that verified a device can tell,
from the user row every page reads anyway, that the device is unchanged (accounts/
device_check.py). A save of a user read before the change never lowers the stamp: that would
make a removed device count again."""

from django.db import migrations, models

DEVICE_TABLES = (
    "accounts_totpdevice",
    "accounts_recoverycodedevice",
    "django_otp_webauthn_webauthncredential",
)
CHANGED = "OLD.confirmed IS DISTINCT FROM NEW.confirmed OR OLD.user_id IS DISTINCT FROM NEW.user_id"

POSTGRESQL_FUNCTIONS = """
CREATE OR REPLACE FUNCTION accounts_otp_device_changed() RETURNS trigger AS $$
BEGIN
    UPDATE accounts_user SET otp_devices_stamp = otp_devices_stamp + 1 WHERE id = OLD.user_id;
    IF TG_OP = 'UPDATE' AND NEW.user_id IS DISTINCT FROM OLD.user_id THEN
        UPDATE accounts_user SET otp_devices_stamp = otp_devices_stamp + 1 WHERE id = NEW.user_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION accounts_user_stamp_never_lowered() RETURNS trigger AS $$
BEGIN
    NEW.otp_devices_stamp := GREATEST(NEW.otp_devices_stamp, OLD.otp_devices_stamp);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_user_stamp_never_lowered BEFORE UPDATE ON accounts_user
    FOR EACH ROW EXECUTE FUNCTION accounts_user_stamp_never_lowered();
"""
POSTGRESQL_TABLE = """
CREATE TRIGGER {table}_deleted AFTER DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION accounts_otp_device_changed();
CREATE TRIGGER {table}_changed AFTER UPDATE ON {table}
    FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION accounts_otp_device_changed();
"""
# SQLite (the single-machine development mode): the same rules. A BEFORE trigger cannot
# change NEW there, so a lowered stamp is put back after the update.
SQLITE_USER = """
CREATE TRIGGER accounts_user_stamp_never_lowered AFTER UPDATE OF otp_devices_stamp
    ON accounts_user FOR EACH ROW WHEN NEW.otp_devices_stamp < OLD.otp_devices_stamp
BEGIN
    UPDATE accounts_user SET otp_devices_stamp = OLD.otp_devices_stamp WHERE id = NEW.id;
END
"""
SQLITE_TABLE = (  # one statement each: sqlite3 runs one at a time
    """
CREATE TRIGGER {table}_deleted AFTER DELETE ON {table} FOR EACH ROW
BEGIN
    UPDATE accounts_user SET otp_devices_stamp = otp_devices_stamp + 1 WHERE id = OLD.user_id;
END
""",
    """
CREATE TRIGGER {table}_changed AFTER UPDATE ON {table} FOR EACH ROW WHEN {changed}
BEGIN
    UPDATE accounts_user SET otp_devices_stamp = otp_devices_stamp + 1
     WHERE id IN (OLD.user_id, NEW.user_id);
END
""",
)


def _statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        head, per_table = [POSTGRESQL_FUNCTIONS], (POSTGRESQL_TABLE,)
    elif vendor == "sqlite":
        head, per_table = [SQLITE_USER], SQLITE_TABLE
    else:
        raise NotImplementedError(f"device stamp triggers for {vendor}")
    changed = CHANGED if vendor == "postgresql" else CHANGED.replace("DISTINCT FROM", "NOT")
    return head + [sql.format(table=t, changed=changed) for t in DEVICE_TABLES for sql in per_table]


def add_triggers(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    names = [("accounts_user", "accounts_user_stamp_never_lowered")] + [
        (t, f"{t}_{what}") for t in DEVICE_TABLES for what in ("deleted", "changed")
    ]
    postgresql = schema_editor.connection.vendor == "postgresql"
    for table, name in names:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {name} ON {table}"
            if postgresql
            else f"DROP TRIGGER IF EXISTS {name}"
        )
    if postgresql:
        schema_editor.execute("DROP FUNCTION IF EXISTS accounts_otp_device_changed()")
        schema_editor.execute("DROP FUNCTION IF EXISTS accounts_user_stamp_never_lowered()")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_account_events_support_messages_drop_sms_reminders"),
        ("django_otp_webauthn", "0004_webauthnuserhandle"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="otp_devices_stamp",
            field=models.BigIntegerField(default=0, db_default=0, editable=False),
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
