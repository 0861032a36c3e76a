"""The user's device stamp (issue 15 goal 1): moved on by the database whenever a device row of
the user is deleted (TRUNCATE included), unconfirmed (or confirmed), given to another user or
another id — whatever did it: a service, the admin, a queryset update, raw SQL — so a session
that verified a device can tell, from the user row every page reads anyway, that the device is
unchanged (accounts/device_check.py). A save of a user read before the change never lowers
the stamp: that would make a removed device count again.

PostgreSQL only. On SQLite, the single-machine development mode, the device row is read on
every page as before (device_check.py), and no trigger has to survive the table rebuilds
SQLite's migrations make (the attacker review helper-76)."""

from django.db import migrations, models

DEVICE_TABLES = (
    "accounts_totpdevice",
    "accounts_recoverycodedevice",
    "django_otp_webauthn_webauthncredential",
)
FUNCTIONS = """
CREATE OR REPLACE FUNCTION accounts_otp_device_changed() RETURNS trigger AS $$
BEGIN
    UPDATE accounts_user SET otp_devices_stamp = otp_devices_stamp + 1 WHERE id = OLD.user_id;
    IF TG_OP = 'UPDATE' AND NEW.user_id IS DISTINCT FROM OLD.user_id THEN
        UPDATE accounts_user SET otp_devices_stamp = otp_devices_stamp + 1 WHERE id = NEW.user_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION accounts_otp_devices_truncated() RETURNS trigger AS $$
BEGIN
    UPDATE accounts_user SET otp_devices_stamp = otp_devices_stamp + 1;  -- every user's
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
PER_TABLE = """
CREATE TRIGGER {table}_deleted AFTER DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION accounts_otp_device_changed();
CREATE TRIGGER {table}_changed AFTER UPDATE ON {table}
    FOR EACH ROW WHEN (
        OLD.confirmed IS DISTINCT FROM NEW.confirmed
        OR OLD.user_id IS DISTINCT FROM NEW.user_id
        OR OLD.id IS DISTINCT FROM NEW.id
    ) EXECUTE FUNCTION accounts_otp_device_changed();
CREATE TRIGGER {table}_truncated AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_otp_devices_truncated();
"""
TRIGGERS = [("accounts_user", "accounts_user_stamp_never_lowered")] + [
    (table, f"{table}_{what}")
    for table in DEVICE_TABLES
    for what in ("deleted", "changed", "truncated")
]


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS)
        for table in DEVICE_TABLES:
            schema_editor.execute(PER_TABLE.format(table=table))


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for function in (
        "accounts_otp_device_changed",
        "accounts_otp_devices_truncated",
        "accounts_user_stamp_never_lowered",
    ):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")


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
