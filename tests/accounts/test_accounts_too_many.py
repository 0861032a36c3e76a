import pytest


@pytest.mark.django_db
def test_a_rate_limited_request_gets_the_portals_own_page(client, borrower):
    for _ in range(20):
        response = client.post("/accounts/password/reset/", {"email": borrower.email})
        if response.status_code == 429:
            break
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many attempts" in page and 'href="#main"' in page  # the portal's layout
