"""The container image serves its pages: static files are collected exactly as the Dockerfile
collects them, then a page is rendered with the environment docker-compose.yml runs it with.

The image once collected with DEBUG=true, so no staticfiles.json manifest was written and every
page with DEBUG off answered 500 ("Missing staticfiles manifest entry for 'css/app.css'") while
/healthz stayed green. The build command and both environments are read from the Dockerfile and
docker-compose.yml, so this test cannot drift from them. No Docker engine runs here: the build
context is copied (minus .dockerignore) and the RUN line is run with /bin/sh, as Docker does.
"""

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from shared_helpers import ROOT

# Hosts only the compose network knows; the embedded defaults stand in for them here.
COMPOSE_SERVICES_ONLY = {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}

RENDER = """
import json
import django
django.setup()
from django.test import Client
from ismartpay.core import health

client = Client(HTTP_HOST="localhost", raise_request_exception=False)
try:
    home = client.get("/")
    status, page = home.status_code, home.content.decode()
except ValueError:  # the 500 page links app.css too: gunicorn would answer a bare 500
    status, page = 500, ""
css = __import__("re").search(r'href="(/static/css/app[^"]*\\.css)"', page)
try:
    health.CHECKS["static"]()
    static_check = "ok"
except Exception as exc:
    static_check = type(exc).__name__
print(json.dumps({
    "home": status,
    "css": css and css.group(1),
    "css_status": css and client.get(css.group(1)).status_code,
    "static_check": static_check,
}))
"""


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    lines = [line.strip() for line in joined.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def dockerfile_build_step() -> tuple[dict[str, str], str]:
    """The image's ENV and the RUN line that collects static files."""
    instructions = _instructions((ROOT / "Dockerfile").read_text())
    env = {}
    for name, args in instructions:
        if name == "ENV":
            env.update(token.split("=", 1) for token in shlex.split(args))
    (run,) = [args for name, args in instructions if name == "RUN" and "collectstatic" in args]
    return env, run


def compose_app_environment() -> dict[str, str]:
    """The web service's environment, with ${VAR:-default} taken at its default."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"]["web"]["environment"]
    return {
        key: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))
        for key, value in environment.items()
        if key not in COMPOSE_SERVICES_ONLY
    }


def _copy_build_context(target: Path) -> None:
    patterns = [
        line.strip().removeprefix("**/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(_folder, names):
        return {n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)}

    shutil.copytree(ROOT, target, ignore=ignored)


def _base_env(**extra: str) -> dict[str, str]:
    # The venv's python stands in for the image's; nothing else leaks in from this process.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return {"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8", **extra}


def build_and_render(app: Path, run_line: str) -> dict:
    image_env, _ = dockerfile_build_step()
    build = subprocess.run(
        ["/bin/sh", "-c", run_line],  # Docker's shell form of RUN
        cwd=app,  # WORKDIR /app, after COPY . .
        env=_base_env(**image_env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    render = subprocess.run(
        [sys.executable, "-c", RENDER],
        cwd=app,
        env=_base_env(
            **image_env,
            **compose_app_environment(),
            DJANGO_SETTINGS_MODULE="ismartpay.settings",
            ISMARTPAY_VAR_DIR=str(app / "var"),
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert render.returncode == 0, render.stderr
    return json.loads(render.stdout.strip().splitlines()[-1])


def test_the_build_step_is_read_from_the_dockerfile_and_compose_runs_with_debug_off():
    env, run = dockerfile_build_step()
    assert env["PYTHONUNBUFFERED"] == "1"
    assert "python manage.py collectstatic --noinput" in run
    assert compose_app_environment()["DEBUG"] == "false"


@pytest.mark.slow
def test_the_image_build_collects_a_manifest_and_pages_render_with_debug_off(tmp_path):
    app = tmp_path / "app"
    _copy_build_context(app)
    _, run_line = dockerfile_build_step()
    result = build_and_render(app, run_line)
    assert (app / "staticfiles" / "staticfiles.json").is_file()
    assert result["home"] == 200
    assert re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", result["css"])
    assert result["css_status"] == 200
    assert result["static_check"] == "ok"


@pytest.mark.slow
def test_a_build_without_the_manifest_fails_the_health_check(tmp_path):
    """The old build line (DEBUG=true: no manifest) is exactly what /healthz now catches."""
    app = tmp_path / "app"
    _copy_build_context(app)
    result = build_and_render(
        app, "SECRET_KEY=build-only DEBUG=true python manage.py collectstatic --noinput"
    )
    assert not (app / "staticfiles" / "staticfiles.json").exists()
    assert result["home"] == 500  # "Missing staticfiles manifest entry for 'css/app.css'"
    assert result["static_check"] == "RuntimeError"
