"""Cross-cutting HTTP behaviour that is not part of any one app."""

import logging

import redis.exceptions
from django.http import Http404
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from .errors import NotFound

logger = logging.getLogger("ismartpay.requests")

# Redis (the cache) refused, dropped or did not answer within its socket timeout.
CACHE_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
RETRY_AFTER_SECONDS = 60


class NoStoreWhenSignedInMiddleware:
    """Signed-in pages carry a borrower's data: no browser or proxy may keep a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class CacheUnavailableMiddleware:
    """A page that needs the cache while Redis is unreachable answers 503 "try again in a
    minute" with Retry-After, not 500. The rate limits of sign-in, sign-up, password reset,
    the second-factor code and the guest lookup live in the cache: the error stops the view
    before it checks a password, sends a mail or finds a loan, so a limit is never skipped,
    and Django does not save the session of a 5xx response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, CACHE_UNREACHABLE):
            return None
        logger.warning(
            "cache unreachable: %s answered 503 (%s)", request.path, type(exception).__name__
        )
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        add_never_cache_headers(response)
        return response


class NotFoundMiddleware:
    """The view layer's one translation of the domain's NotFound (ismartpay/core/errors.py)
    into Http404: Django then answers with the 404 page, as for any view's Http404."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404(str(exception)) from exception
        return None
