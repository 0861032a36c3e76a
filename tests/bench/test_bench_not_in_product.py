"""Review (attacker), issue 15's /bench/floor/: neither bench path is served by the product (the
product's URLs include bench.ceiling only with BENCH_CEILING, default off), and with it on the
one view behind both reads only a loan linked to the signed-in user."""

import pytest
from django.conf import settings
from django.http import Http404
from django.test import RequestFactory
from factories import LoanLinkFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/bench/floor/{}/", "/bench/ceiling/{}/"])
def test_the_product_does_not_serve_the_bench_paths(client, path):
    link = LoanLinkFactory()
    client.force_login(link.user)
    assert settings.BENCH_CEILING is False
    assert client.get(path.format(link.loan.pk)).status_code == 404


def test_the_bench_view_is_404_for_a_loan_the_user_is_not_linked_to():
    from bench.ceiling import ceiling

    theirs = LoanLinkFactory()
    request = RequestFactory().get(f"/bench/floor/{theirs.loan.pk}/")
    request.user = UserFactory()
    with pytest.raises(Http404):
        ceiling(request, theirs.loan.pk)
