"""The installable-app pieces served from the site root: the web manifest, the service worker
(at /sw.js so its scope is the whole site) and the offline page it shows.

The worker caches only the static files in OFFLINE_ASSETS and the offline page; it never stores
a page or account data (see templates/pwa/sw.js)."""

import hashlib
import json

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe

# What the offline page needs, and the icons: a few KB, fetched once at install.
OFFLINE_ASSETS = (
    "css/app.css",
    "js/app.js",
    "icons/logo.svg",
    "icons/sprite.svg",
    "icons/icon-192.png",
)


@require_safe
def manifest(request):
    body = render_to_string("pwa/manifest.webmanifest", request=request)
    response = HttpResponse(body, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def service_worker(request):
    assets = [static(path) for path in OFFLINE_ASSETS]
    offline_url = reverse("offline")
    # A new version whenever an asset's (hashed) URL changes, so old caches are dropped.
    version = hashlib.sha256(json.dumps([assets, offline_url]).encode()).hexdigest()[:12]
    body = render_to_string(
        "pwa/sw.js",
        {"assets_json": json.dumps(assets), "offline_url": offline_url, "version": version},
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # Browsers re-check the worker on each visit; an old one must never linger.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response
