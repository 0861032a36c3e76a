"""A staff member refused a page under /admin/ sees an admin page that says which permission
(and which role holds it) the page needs, with a link back to the staff home page — not the
borrower's "Your access to this loan doesn't allow it… Go to my loans"."""

import pytest
from factories import LoanFactory, UserFactory
from staff_helpers import make_staff, staff_client

from accounts.roles import SUPPORT_AGENT

pytestmark = pytest.mark.django_db


def test_an_agent_on_account_flags_add_sees_the_permission_and_role_it_needs():
    response = staff_client(make_staff(SUPPORT_AGENT)).get("/admin/loans/accountflag/add/")

    page = response.content.decode()
    assert response.status_code == 403
    assert "Go to my loans" not in page and "iSmartPay staff" in page
    assert "Can set and end account flags" in page and "loans.manage_account_flags" in page
    assert "Supervisor" in page
    assert 'href="/admin/"' in page


def test_an_agent_on_a_supervisors_money_page_is_told_the_role():
    loan = LoanFactory()
    agent = staff_client(make_staff(SUPPORT_AGENT))
    page = agent.get(f"/admin/payments/suspenseitem/{loan.pk}/apply/").content.decode()
    assert "payments.manage_suspense" in page and "Supervisor" in page


def test_a_refused_model_page_names_the_view_permission():
    plain = staff_client(make_staff())
    response = plain.get("/admin/loans/accountflag/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "loans.view_accountflag" in page and "Support agent" in page


def test_a_borrower_still_gets_the_borrowers_403_page(client):
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory

    from ismartpay.admin_forbidden import permission_denied

    request = RequestFactory().get("/loans/5/")
    request.user = UserFactory()
    page = permission_denied(request, PermissionDenied()).content.decode()
    assert "Go to my loans" in page
