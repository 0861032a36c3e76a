"""The URL of a page that takes no arguments, reversed once per process (issue 15 goal 1).

`reverse()` walks the resolver's candidates and quotes the result: ≈ 22–29 µs a call on the
2-vCPU Intel Xeon of bench/README.md's third 2026-12-02 series, and the layout (base.html)
asked for 17 such URLs on every signed-in page, ≈ 0.5 ms of each page's CPU. A page's URL
without arguments is the same for every request served with the same URLconf, script prefix
and current app, so the answer is kept per process under those three. A URL with arguments
keeps `{% url %}`.

What is kept is forgotten when a setting changes (tests' override_settings: ROOT_URLCONF,
FORCE_SCRIPT_NAME, …). A URLconf module whose patterns change while the process runs is not
followed (Django's clear_url_caches() does not reach this); the product's never do.
"""

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse


def page_url(viewname: str, *, current_app: str | None = None) -> str:
    """reverse(viewname), kept: "payments:history" -> "/payments/history/"; NoReverseMatch
    as reverse() raises it (nothing kept)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _reversed(viewname, current_app, urlconf, get_script_prefix())


@lru_cache(maxsize=1024)  # names × namespaces × prefixes: a few hundred at most
def _reversed(viewname: str, current_app: str | None, urlconf: str, prefix: str) -> str:
    # `prefix` is only part of the key: reverse() reads the script prefix itself.
    return reverse(viewname, urlconf=urlconf, current_app=current_app)


def _forget(**kwargs) -> None:
    _reversed.cache_clear()


setting_changed.connect(_forget, dispatch_uid="ismartpay.core.page_urls")
