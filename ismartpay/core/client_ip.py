"""The visitor's IP address, for every rate limit and record (issue 10, item 6).

Behind the TLS proxy every request comes from the proxy's address; allauth reads the visitor's
own from X-Forwarded-For, trusting exactly ALLAUTH_TRUSTED_PROXY_COUNT hops (0: the header is
ignored, so a visitor cannot forge it). allauth's own limits and the portal's use this one rule.
"""

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:  # no address at all (a test client, a unix socket)
        return request.META.get("REMOTE_ADDR") or "unknown"
