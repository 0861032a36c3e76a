"""Gunicorn's workers freeze the loaded application out of the garbage collector's reach
(gunicorn.conf.py, issue 15): a full collection walked its ≈176,000 objects, 150–180 ms of one
request's time here."""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_gunicorn_worker_started_in_the_project_directory_has_frozen_what_it_loaded():
    port = _free_port()
    server = subprocess.Popen(  # the Dockerfile's command, in the project directory
        [
            *(sys.executable, "-m", "gunicorn", "--pythonpath", "tests", "gunicorn_probe:app"),
            *("-w", "1", "-b", f"127.0.0.1:{port}"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
                    frozen = int(response.read())
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not answer")
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert frozen > 10_000  # gunicorn and the standard library at least; 0 when not frozen
