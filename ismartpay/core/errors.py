"""Domain errors shared by every app (issue 12, item 7)."""


class NotFound(LookupError):
    """The object does not exist, or this user may not know it does: a selector's "no".

    Selectors and services raise this (never django.http.Http404: they know nothing of HTTP);
    the view layer turns it into a 404 (ismartpay.core.middleware.NotFoundMiddleware), the same
    page for "no such thing" and "not yours"."""
