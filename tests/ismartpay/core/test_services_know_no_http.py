"""Services and selectors know nothing of HTTP (issue 12, item 7): they raise domain errors
(ismartpay.core.errors.NotFound for "no such thing, or not yours") and the view layer turns
them into a 404."""

import ast
from pathlib import Path

import pytest
from django.http import Http404
from django.test import RequestFactory

import ismartpay
from ismartpay.core.errors import NotFound
from ismartpay.core.middleware import NotFoundMiddleware

ROOT = Path(ismartpay.__file__).resolve().parent.parent
APPS = ("accounts", "documents", "ismartpay", "loans", "payments")
HTTP_NAMES = {"Http404", "HttpRequest"}


def _http_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django.http"):
            found += [a.name for a in node.names if a.name in HTTP_NAMES]
        elif isinstance(node, ast.Name) and node.id in HTTP_NAMES:
            found.append(node.id)
    return sorted(set(found))


def test_no_services_or_selectors_module_imports_http404_or_httprequest():
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).parts
            if not any(p.startswith(("services", "selectors")) for p in parts):
                continue
            names = _http_imports(path)
            if names:
                found[str(path.relative_to(ROOT))] = names
    assert found == {}


def test_a_selectors_not_found_reaches_the_borrower_as_a_404():
    def view(request):
        raise NotFound("No such loan")

    middleware = NotFoundMiddleware(view)
    request = RequestFactory().get("/loans/999/")
    with pytest.raises(Http404, match="No such loan"):
        middleware.process_exception(request, NotFound("No such loan"))
    assert middleware.process_exception(request, ValueError("other")) is None
