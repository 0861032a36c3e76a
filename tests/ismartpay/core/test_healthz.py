import pytest
from django.core.management import call_command
from django.test import override_settings

from ismartpay.core import health


@pytest.fixture(autouse=True)
def _forget_migration_state(monkeypatch):
    monkeypatch.setattr(health, "_migrations_seen_applied", False)


@pytest.mark.django_db
def test_healthz_is_200_when_database_cache_broker_and_migrations_are_fine(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name for name, check in body["checks"].items() if check["ok"]} == {
        "database",
        "migrations",
        "cache",
        "broker",
        "static",
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    from ismartpay.celery import app

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert "127.0.0.1:1" not in response.content.decode()  # no connection details leak


@pytest.mark.django_db
def test_healthz_is_503_when_a_migration_is_not_applied(client, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"ok": False, "error": "RuntimeError"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    def broken():
        raise ConnectionError("database gone")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "ConnectionError"}


def test_healthz_is_exempt_from_the_https_redirect_used_by_load_balancers(settings):
    import re

    assert any(re.match(pattern, "healthz") for pattern in settings.SECURE_REDIRECT_EXEMPT)


def _production_static(settings, root):
    """The storage the image runs with (DEBUG off), over `root` as STATIC_ROOT."""
    return override_settings(
        STATIC_ROOT=root,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
        WHITENOISE_USE_FINDERS=False,
    )


@pytest.mark.django_db
def test_healthz_is_503_naming_the_static_check_when_the_manifest_is_missing(
    client, settings, tmp_path
):
    with _production_static(settings, tmp_path):  # an image built without collectstatic's manifest
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["static"] == {"ok": False, "error": "RuntimeError"}
    assert [name for name, check in body["checks"].items() if not check["ok"]] == ["static"]
    assert "manifest" not in response.content.decode()  # named, no details


@pytest.mark.django_db
def test_healthz_static_check_passes_once_collectstatic_wrote_the_manifest(
    client, settings, tmp_path
):
    with _production_static(settings, tmp_path):
        call_command("collectstatic", "--noinput", verbosity=0)
    with _production_static(settings, tmp_path):  # a new process: the manifest is read at start
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["static"]["ok"] is True
