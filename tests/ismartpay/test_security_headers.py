"""Target 27: every page sends strict security headers; signed-in pages are never cached."""

import pytest
from shared_helpers import ROOT


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/help/", "/accounts/login/", "/healthz"])
def test_every_page_type_sends_the_security_headers(client, path):
    response = client.get(path, secure=True)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_signed_in_pages_are_no_store(borrower_client):
    response = borrower_client.get("/loans/", secure=True)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_public_pages_are_cacheable_when_signed_out(client):
    assert "no-store" not in client.get("/help/").get("Cache-Control", "")


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(client, borrower):
    from factories import TEST_PASSWORD

    client.get("/accounts/login/", secure=True)
    response = client.post(
        "/accounts/login/", {"login": borrower.email, "password": TEST_PASSWORD}, secure=True
    )
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert client.cookies["csrftoken"]["secure"]


def test_templates_contain_no_inline_script_or_cdn():
    root = ROOT / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text()
        assert "<script>" not in text and "<script >" not in text, template
        assert "cdn." not in text and "//unpkg" not in text, template
