import pytest
from django.template.loader import render_to_string


@pytest.mark.django_db
def test_an_unknown_page_gets_the_portals_own_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We can't find that page" in response.content.decode()


def test_the_500_page_renders_without_a_request_or_database():
    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
    assert "never charge twice" in html
