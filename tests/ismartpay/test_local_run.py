"""bin/run and bin/manage (issue 11, items 17-18): the settings they write to var/local.env and
export turn DEBUG off, so a person trying the portal sees its own error pages, while plain-HTTP
localhost keeps working and the README's commands run exactly as written (no "SECRET_KEY must
be set"). The test suite never reads that file."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from shared_helpers import ROOT

MARKER = "# Written by bin/run for this machine only: never use these settings on a server."
PRINT_ENV = "; ".join(
    f'echo "{name}=${name}"'
    for name in (
        "DEBUG",
        "SITE_URL",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "ACCOUNT_DEFAULT_HTTP_PROTOCOL",
        "EMAIL_URL",
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
    )
)


def _ensure(folder: Path, port: int, **preset: str) -> dict[str, str]:
    """Runs ensure_local_env in `folder`; returns what it exported."""
    shutil.copy(ROOT / "bin" / "_local_env.sh", folder / "_local_env.sh")
    keep = {"HOME", "LANG"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    env.update(preset)
    out = subprocess.run(
        ["bash", "-c", f"source _local_env.sh && ensure_local_env {port} && {PRINT_ENV}"],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert (folder / "var" / "local.env").read_text().splitlines()[0] == MARKER
    return dict(line.split("=", 1) for line in out.splitlines())


def test_bin_run_settings_turn_debug_off_allow_http_localhost_and_keep_their_keys(tmp_path):
    first = _ensure(tmp_path, 8123)
    keys = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS")
    assert {k: v for k, v in first.items() if k not in keys} == {
        "DEBUG": "false",
        "SITE_URL": "http://localhost:8123",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "ACCOUNT_DEFAULT_HTTP_PROTOCOL": "http",
        "EMAIL_URL": f"filemail://{tmp_path}/var/mail",
    }
    assert len(first["SECRET_KEY"]) >= 50
    assert len(first["FIELD_ENCRYPTION_KEYS"]) == 44  # a whole Fernet key, its "=" kept
    again = _ensure(tmp_path, 9000)  # a new port: same keys, the new address
    assert [again[k] for k in keys] == [first[k] for k in keys]
    assert again["SITE_URL"] == "http://localhost:9000"


def test_a_variable_already_set_wins_over_bin_runs_settings(tmp_path):
    assert _ensure(tmp_path, 8000, EMAIL_URL="smtp://localhost:1025")["EMAIL_URL"] == (
        "smtp://localhost:1025"
    )


def test_with_those_settings_a_wrong_address_shows_the_portals_own_404(tmp_path):
    values = _ensure(tmp_path, 8124)
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


def test_the_nightly_jobs_run_on_the_embedded_database_bin_run_uses(tmp_path):
    """A new-user review ran `bin/manage run_daily` on bin/run's defaults (SQLite, no
    DATABASE_URL) and the reminders step crashed on PostgreSQL-only SQL (then the batch claim
    of its notices). On the embedded database bin/run's and the README's steps — migrate, seed
    the demo borrower, import the sample loans, run every nightly job — finish with every job
    done."""
    values = _ensure(tmp_path, 8125)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"}
    }
    env.update(values, DJANGO_SETTINGS_MODULE="ismartpay.settings", ISMARTPAY_VAR_DIR=str(tmp_path))

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )

    for step in (
        ("migrate", "-v", "0"),
        ("seed_demo", "--force"),  # as bin/run: a borrower with loans, a card and autopay
        ("import_loans", "loans/sample_data/loans_sample.csv"),
        ("run_daily",),
    ):
        out = manage(*step)
        assert out.returncode == 0, (step, out.stderr[-3000:])
    import json

    report = json.loads(out.stdout.strip().splitlines()[-1])
    jobs = report["result"]
    assert {"run_autopay", "send_reminders", "card_expiry_notices", "statements"} <= set(jobs)
    assert {name: job["failed"] for name, job in jobs.items() if job.get("failed")} == {}
