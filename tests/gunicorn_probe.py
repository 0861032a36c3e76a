"""A WSGI app that answers how many objects the garbage collector has frozen in the worker
serving it (tests/ismartpay/test_gunicorn_config.py)."""

import gc


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(gc.get_freeze_count()).encode()]
