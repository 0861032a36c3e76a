"""WSGI entry for the page benchmarks: the product, plus the bare ceiling under /bench/.

/bench/ceiling/… goes to a second Django handler whose middleware is only the session, auth and
allauth middleware (the ceiling of a signed-in Django view on this stack); everything else
goes to the product with its full middleware. /bench/floor/… goes to a third handler: the
product's whole middleware in front of the ceiling's own URLconf and view (no product URL
matching, no base.html): what the middleware alone costs. Needs BENCH_CEILING=true. Run as
a factory:
    gunicorn 'bench.wsgi:bench_application()'
"""

import os

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.test.utils import override_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ismartpay.settings")

CEILING_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]


class CeilingHandler(WSGIHandler):
    def load_middleware(self, is_async=False):
        with override_settings(MIDDLEWARE=CEILING_MIDDLEWARE):
            super().load_middleware(is_async=is_async)

    def get_response(self, request):
        request.urlconf = "bench.ceiling"  # only the ceiling's URL: the product's are not here
        return super().get_response(request)


class FloorHandler(WSGIHandler):
    """The product's whole middleware, routing only to the ceiling's view (/bench/floor/…)."""

    def get_response(self, request):
        request.urlconf = "bench.ceiling"
        return super().get_response(request)


def bench_application():
    """The product and the ceiling in one WSGI callable (refused unless BENCH_CEILING)."""
    if not settings.BENCH_CEILING:
        raise RuntimeError("bench.wsgi serves the ceiling: set BENCH_CEILING=true")
    product = get_wsgi_application()
    ceiling, floor = CeilingHandler(), FloorHandler()

    def application(environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/bench/ceiling/"):
            return ceiling(environ, start_response)
        if environ.get("PATH_INFO", "").startswith("/bench/floor/"):
            return floor(environ, start_response)
        return product(environ, start_response)

    return application
