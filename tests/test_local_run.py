"""bin/run and bin/manage (issue 11, items 17-18): the .env they write turns DEBUG off, so a
person trying the portal sees its own error pages, while plain-HTTP localhost keeps working and
the README's commands run exactly as written (no "SECRET_KEY must be set")."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "# Written by bin/run for this machine only: never use it on a server."


def _write_env(folder: Path, port: int) -> dict[str, str]:
    shutil.copy(ROOT / "bin" / "_local_env.sh", folder / "_local_env.sh")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run(
        ["bash", "-c", f"source _local_env.sh && ensure_local_env {port}"],
        cwd=folder,
        env=env,
        check=True,
    )
    lines = (folder / ".env").read_text().splitlines()
    assert lines[0] == MARKER
    return dict(line.split("=", 1) for line in lines[1:])


def test_bin_run_env_turns_debug_off_allows_http_localhost_and_keeps_its_keys(tmp_path):
    first = _write_env(tmp_path, 8123)
    assert {k: v for k, v in first.items() if k not in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS")} == {
        "DEBUG": "false",
        "SITE_URL": "http://localhost:8123",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "ACCOUNT_DEFAULT_HTTP_PROTOCOL": "http",
        "EMAIL_URL": f"filemail://{tmp_path}/var/mail",
    }
    assert len(first["SECRET_KEY"]) >= 50
    again = _write_env(tmp_path, 9000)  # a new port: same keys, the new address
    assert (again["SECRET_KEY"], again["FIELD_ENCRYPTION_KEYS"]) == (
        first["SECRET_KEY"],
        first["FIELD_ENCRYPTION_KEYS"],
    )
    assert again["SITE_URL"] == "http://localhost:9000"


def test_bin_run_leaves_a_env_written_by_hand_alone(tmp_path):
    (tmp_path / ".env").write_text("DEBUG=true\n")
    shutil.copy(ROOT / "bin" / "_local_env.sh", tmp_path / "_local_env.sh")
    subprocess.run(
        ["bash", "-c", "source _local_env.sh && ensure_local_env 8000"], cwd=tmp_path, check=True
    )
    assert (tmp_path / ".env").read_text() == "DEBUG=true\n"


def test_with_that_env_commands_run_and_a_wrong_address_shows_the_portals_404(tmp_path):
    values = _write_env(tmp_path, 8124)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(values, DJANGO_SETTINGS_MODULE="ismartpay.settings", ISMARTPAY_VAR_DIR=str(tmp_path))
    script = (
        "from django.test import Client; from django.conf import settings; "
        "r = Client().get('/no-such-page/', HTTP_HOST='localhost'); "
        "print(settings.DEBUG, settings.SECURE_SSL_REDIRECT, r.status_code, "
        "b\"We can't find that page\" in r.content, b'URLconf' in r.content)"
    )
    # As bin/run: collect the hashed static files (staticfiles/, git-ignored), then serve.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False 404 True False"
