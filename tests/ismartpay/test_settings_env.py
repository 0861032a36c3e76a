"""Settings are read from the environment exactly as contracts.md says.

Each case imports ismartpay.settings in a fresh interpreter with a controlled environment,
because settings are evaluated once per process.
"""

import json
import os
import subprocess
import sys

import pytest
from shared_helpers import ROOT

PROD_KEY = "a-real-production-secret-key-that-is-long-and-random-0123456789"
FERNET_A = "Ho0aNqoT5M7XK3JRr2U1dC3Q6gA0mqPp5lGgK6Q9y5c="
FERNET_B = "GP-rc4aQbmTBSmbjETIQWvAqx2kzMlWZdGE1NIC4DZ4="
PROD = {"SECRET_KEY": PROD_KEY, "FIELD_ENCRYPTION_KEYS": FERNET_A}

DUMP = """
import json
from ismartpay import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG, "ALLOWED_HOSTS": s.ALLOWED_HOSTS, "DB": s.DATABASES["default"],
    "CACHE": s.CACHES["default"]["BACKEND"], "BROKER": s.CELERY_BROKER_URL,
    "EMAIL_BACKEND": s.EMAIL_BACKEND, "EMAIL_HOST": getattr(s, "EMAIL_HOST", None),
    "EMAIL_PORT": getattr(s, "EMAIL_PORT", None), "FROM": s.DEFAULT_FROM_EMAIL,
    "KEYS": s.FIELD_ENCRYPTION_KEYS, "GATEWAY": s.PAYMENT_GATEWAY, "SITE_URL": s.SITE_URL,
    "SECRET_KEY": s.SECRET_KEY, "SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "HSTS": s.SECURE_HSTS_SECONDS, "COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
}, default=str))
"""


def _clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "SYSTEMROOT"}}
    env["ISMARTPAY_VAR_DIR"] = "/tmp/ismartpay-settings-test"
    env.update(overrides)
    return env


def printed_with_settings(code: str, **env: str) -> str:
    """What `code` prints in a fresh Python whose environment is PROD's keys plus `env`."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_clean_env(**PROD, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def load_settings(**env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", DUMP],
        cwd=ROOT,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1])
    return json.loads(result.stdout)


def test_nothing_set_refuses_to_start_because_debug_is_off_with_the_dev_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set when DEBUG is off"):
        load_settings()


def test_debug_off_refuses_the_development_encryption_key():
    with pytest.raises(RuntimeError, match="FIELD_ENCRYPTION_KEYS must be set"):
        load_settings(SECRET_KEY=PROD_KEY)


def test_an_encryption_key_that_is_not_fernet_is_refused():
    with pytest.raises(RuntimeError, match="not a Fernet key"):
        load_settings(SECRET_KEY=PROD_KEY, FIELD_ENCRYPTION_KEYS="not-a-key")


def test_debug_mode_runs_on_embedded_defaults():
    s = load_settings(DEBUG="true")
    assert s["DEBUG"] is True
    assert s["DB"]["ENGINE"] == "django.db.backends.sqlite3"
    assert s["DB"]["NAME"] == "/tmp/ismartpay-settings-test/db.sqlite3"
    assert s["BROKER"] == "sqla+sqlite:////tmp/ismartpay-settings-test/celery-broker.sqlite3"
    assert s["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert s["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1"]
    assert s["FROM"] == "iSmartPay <no-reply@localhost>"
    assert s["GATEWAY"] == "sandbox"
    assert s["SITE_URL"] == "http://localhost:8000"
    assert s["SSL_REDIRECT"] is False
    assert s["HSTS"] == 0


def test_production_values_are_read_from_the_environment():
    s = load_settings(
        SECRET_KEY=PROD_KEY,
        DATABASE_URL="postgres://app:pw@db.internal:5433/ismartpay",
        REDIS_URL="redis://cache.internal:6379/2",
        EMAIL_URL="smtp://mail.internal:2525",
        DEFAULT_FROM_EMAIL="Pay <pay@example.com>",
        ALLOWED_HOSTS="pay.example.com,www.pay.example.com",
        FIELD_ENCRYPTION_KEYS=f"{FERNET_A},{FERNET_B}",
        PAYMENT_GATEWAY="stripe",
        SITE_URL="https://pay.example.com/",
    )
    assert s["DEBUG"] is False
    assert s["SECRET_KEY"] == PROD_KEY
    assert s["DB"]["ENGINE"] == "ismartpay.core.postgresql"  # Django's, with the parameter limit
    assert (s["DB"]["HOST"], s["DB"]["PORT"], s["DB"]["NAME"]) == ("db.internal", 5433, "ismartpay")
    assert s["DB"]["CONN_MAX_AGE"] == 60
    assert s["CACHE"] == "django.core.cache.backends.redis.RedisCache"
    assert s["BROKER"] == "redis://cache.internal:6379/2"
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"]) == ("mail.internal", 2525)
    assert s["FROM"] == "Pay <pay@example.com>"
    assert s["ALLOWED_HOSTS"] == ["pay.example.com", "www.pay.example.com"]
    assert s["KEYS"] == [FERNET_A, FERNET_B]
    assert s["GATEWAY"] == "stripe"
    assert s["SITE_URL"] == "https://pay.example.com"
    assert s["SSL_REDIRECT"] is True
    assert s["HSTS"] >= 365 * 24 * 3600
    assert s["COOKIE_SECURE"] is True


def test_check_deploy_passes_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=_clean_env(**PROD, ALLOWED_HOSTS="pay.example.com"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


SEND_ONE_MAIL = """
import django
from django.conf import settings
from django.core.mail import send_mail
django.setup()
send_mail("Filed", "A mail on disk.", "from@example.com", ["to@example.com"])
print(settings.EMAIL_FILE_PATH)
"""


@pytest.mark.parametrize("slashes", ["///", "////"])
def test_filemail_url_writes_to_the_absolute_folder_it_names(tmp_path, slashes):
    """filemail:///var/mail names /var/mail, as a file:/// URL does; django-environ alone made
    it the relative "var/mail", under whatever folder the process started in."""
    mail_dir, started_in = tmp_path / "mail", tmp_path / "cwd"
    started_in.mkdir()
    url = f"filemail:{slashes}{str(mail_dir).lstrip('/')}"
    result = subprocess.run(
        [sys.executable, "-c", SEND_ONE_MAIL],
        cwd=started_in,
        env=_clean_env(
            DEBUG="true",
            EMAIL_URL=url,
            PYTHONPATH=str(ROOT),
            DJANGO_SETTINGS_MODULE="ismartpay.settings",
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(mail_dir)
    (written,) = mail_dir.iterdir()
    assert "Subject: Filed" in written.read_text()
    assert list(started_in.iterdir()) == []  # nothing under a relative path
