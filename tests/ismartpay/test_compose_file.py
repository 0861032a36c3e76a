"""docker-compose.yml is valid and describes the whole stack (no Docker engine runs here)."""

import shutil
import subprocess

import pytest
import yaml
from shared_helpers import ROOT

COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_runs_web_worker_beat_postgres_redis_and_a_mail_catcher(compose):
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis", "mailpit"}
    assert "gunicorn ismartpay.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A ismartpay worker")
    assert services["beat"]["command"].startswith("celery -A ismartpay beat")
    for name, service in services.items():
        assert "test" in service["healthcheck"], name


def test_compose_wires_the_app_to_postgres_redis_and_mail(compose):
    for name in ("web", "worker", "beat"):
        env = compose["services"][name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["EMAIL_URL"] == "smtp://mailpit:1025"
        assert env["DEBUG"] == "false"
    web_deps = compose["services"]["web"]["depends_on"]
    assert web_deps["postgres"]["condition"] == web_deps["redis"]["condition"] == "service_healthy"


def test_compose_web_healthcheck_uses_healthz(compose):
    assert "/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose CLI not installed")
def test_compose_file_passes_docker_compose_config():
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
