"""Target 23: every loans URL carrying a loan id answers 404 to anyone without access, on GET
and POST, and changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import URLPattern, get_resolver
from factories import LoanFactory, LoanLinkFactory, UserFactory

from loans.models import LoanInvitation, LoanLink, LoanPosting
from loans.services import loan_post_payment

pytestmark = pytest.mark.django_db


def _loan_url_names() -> set[str]:
    """Every named URL of the loans app whose pattern takes a loan id."""
    resolver = get_resolver()
    names = set()
    for entry in resolver.url_patterns:
        if str(entry.pattern) != "loans/":
            continue
        for pattern in entry.url_patterns:
            if isinstance(pattern, URLPattern) and "loan_id" in str(pattern.pattern):
                names.add(pattern.name)
    return names


@pytest.fixture
def victim():
    link = LoanLinkFactory()
    loan_post_payment(
        loan_id=link.loan.pk,
        amount=Decimal("50.00"),
        effective_date=dt.date(2026, 2, 5),
        idempotency_key="victim",
    )
    invitation = LoanInvitation.objects.create(
        loan=link.loan, invited_by=link.user, email="mum@example.com", role="viewer"
    )
    return link.loan, invitation


def _urls(loan, invitation) -> dict[str, str]:
    return {
        "loan_detail": f"/loans/{loan.pk}/?good_through=2026-12-01",
        "loan_payoff_letter": f"/loans/{loan.pk}/payoff-letter.pdf?good_through=2026-12-01",
        "loan_what_if": f"/loans/{loan.pk}/what-if/?extra_monthly=10",
        "loan_sharing": f"/loans/{loan.pk}/sharing/",
        "loan_sharing_revoke": f"/loans/{loan.pk}/sharing/{invitation.pk}/revoke/",
        "loan_due_day_change": f"/loans/{loan.pk}/due-date/",
        "loan_extension": f"/loans/{loan.pk}/extension/",
    }


def _state(loan):
    loan.refresh_from_db()
    return (
        loan.principal_balance,
        loan.unpaid_fees,
        loan.status,
        LoanPosting.objects.count(),
        sorted(LoanLink.objects.values_list("user_id", "role")),
        sorted(LoanInvitation.objects.values_list("pk", "email", "revoked_at")),
    )


def test_every_url_with_a_loan_id_is_covered_here(victim):
    assert set(_urls(*victim)) == _loan_url_names()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("who", ["other_borrower", "viewer_of_another_loan", "revoked_viewer"])
def test_other_people_get_404_and_nothing_changes(client, victim, method, who):
    loan, invitation = victim
    if who == "other_borrower":
        user = LoanLinkFactory().user  # has a loan of their own
    elif who == "viewer_of_another_loan":
        user = LoanLinkFactory(loan=LoanFactory(), role=LoanLink.Role.VIEWER).user
    else:
        user = UserFactory()
        LoanInvitation.objects.create(
            loan=loan,
            invited_by=loan.links.get().user,
            email=user.email,
            role="payer",
            accepted_by=user,
            revoked_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
    client.force_login(user)
    before = _state(loan)
    for name, url in _urls(loan, invitation).items():
        data = {"email": "thief@example.com", "role": "payer", "action": "rotate"}
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 404, (name, method)
        assert loan.loan_number.encode() not in response.content
    assert _state(loan) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_viewers_cannot_manage_sharing(client, victim, method):
    loan, invitation = victim
    viewer = LoanLinkFactory(loan=loan, role=LoanLink.Role.VIEWER).user
    client.force_login(viewer)
    before = _state(loan)
    for name in ("loan_sharing", "loan_sharing_revoke"):
        url = _urls(loan, invitation)[name]
        response = getattr(client, method)(url, {"email": "x@example.com", "role": "payer"})
        assert response.status_code == 404, name
    assert _state(loan) == before


def test_anonymous_visitors_are_sent_to_sign_in(client, victim):
    for url in _urls(*victim).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_unknown_loan_ids_are_404_too(borrower_client):
    assert borrower_client.get("/loans/999999/").status_code == 404
    assert borrower_client.post("/loans/999999/sharing/").status_code == 404
