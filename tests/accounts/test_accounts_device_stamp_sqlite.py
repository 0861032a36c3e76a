"""The device stamp's triggers on SQLite, the single-machine mode bin/run uses without
DATABASE_URL: migrated into a fresh database in another process, they move the stamp on when
a device is deleted or unconfirmed, and a save of a user read earlier does not lower it."""

import os
import subprocess
import sys

import pytest
from shared_helpers import ROOT

CHECK = """
from accounts.models import TOTPDevice, User
user = User.objects.create_user("stamp@example.com", "a long passphrase here")
device = TOTPDevice.objects.create(user=user, name="app", key="00" * 20, confirmed=True)
stale = User.objects.get(pk=user.pk)
stamps = [User.objects.get(pk=user.pk).otp_devices_stamp]
device.last_used_at = None; device.save()  # no change the check reads: no move
stamps.append(User.objects.get(pk=user.pk).otp_devices_stamp)
TOTPDevice.objects.filter(pk=device.pk).update(confirmed=False)
stamps.append(User.objects.get(pk=user.pk).otp_devices_stamp)
TOTPDevice.objects.filter(pk=device.pk).delete()
stamps.append(User.objects.get(pk=user.pk).otp_devices_stamp)
stale.full_name = "stale"; stale.save()
stamps.append(User.objects.get(pk=user.pk).otp_devices_stamp)
print(stamps)
"""


@pytest.mark.slow
def test_the_device_stamp_triggers_work_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="ismartpay.settings", ISMARTPAY_VAR_DIR=str(tmp_path))
    manage = [sys.executable, "manage.py"]
    run = dict(cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    migrated = subprocess.run([*manage, "migrate", "-v0"], **run)
    assert migrated.returncode == 0, migrated.stderr
    checked = subprocess.run([*manage, "shell", "-c", CHECK], **run)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.split("\n")[-2] == "[0, 0, 1, 2, 2]"
