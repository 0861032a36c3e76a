"""Authorized third parties: invite by email, accept with the invited address, revoke at once."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from factories import LoanLinkFactory, UserFactory

from ismartpay.core.errors import NotFound
from loans.models import LoanInvitation, LoanLink
from loans.selectors import loan_get_for_user
from loans.services import loan_post_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_link():
    return LoanLinkFactory()


@pytest.fixture
def invite(client, django_capture_on_commit_callbacks):
    """invite(link, role=..., email=...) -> the accept path from the email that was sent."""

    def _invite(link, *, role="viewer", email="mum@example.com") -> str:
        client.force_login(link.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/loans/{link.loan.pk}/sharing/", {"email": email, "name": "Mum", "role": role}
            )
        assert response.status_code == 302
        url = re.search(r"https?://\S+/loans/invitations/\S+/", mail.outbox[-1].body).group(0)
        return "/" + url.split("/", 3)[-1]

    return _invite


def test_invitation_email_carries_a_signed_link(owner_link, invite):
    url = invite(owner_link)
    assert mail.outbox[-1].to == ["mum@example.com"]
    assert owner_link.loan.vehicle in mail.outbox[-1].body
    assert "/loans/invitations/" in url
    assert LoanInvitation.objects.get().role == "viewer"


def test_the_invited_address_accepts_and_can_view_but_not_pay(client, owner_link, invite):
    path = invite(owner_link)
    invitee = UserFactory(email="mum@example.com")
    client.force_login(invitee)
    assert "invited you to see" in client.get(path).content.decode()
    response = client.post(path)
    assert response["Location"] == f"/loans/{owner_link.loan.pk}/"
    link = LoanLink.objects.get(user=invitee)
    assert link.role == "viewer"
    assert client.get(f"/loans/{owner_link.loan.pk}/").status_code == 200
    with pytest.raises(NotFound):
        loan_get_for_user(invitee, owner_link.loan.pk, need="pay")
    assert client.post(path).status_code == 400  # already used


def test_payer_can_pay_and_the_posting_is_attributed_to_them(client, owner_link, invite):
    path = invite(owner_link, role="payer")
    payer = UserFactory(email="mum@example.com")
    client.force_login(payer)
    client.post(path)
    loan = loan_get_for_user(payer, owner_link.loan.pk, need="pay")
    posting = loan_post_payment(
        loan_id=loan.pk,
        amount=Decimal("10.00"),
        effective_date=dt.date(2026, 2, 5),
        idempotency_key="payer",
        actor=payer,
    )
    assert (posting.created_by, posting.created_by_label) == (payer, f"user:{payer.pk}")


def test_revoking_removes_access_at_once(client, owner_link, invite):
    path = invite(owner_link, role="payer")
    invitee = UserFactory(email="mum@example.com")
    client.force_login(invitee)
    client.post(path)
    assert LoanLink.objects.filter(user=invitee).exists()
    invitation = LoanInvitation.objects.get()
    client.force_login(owner_link.user)
    response = client.post(f"/loans/{owner_link.loan.pk}/sharing/{invitation.pk}/revoke/")
    assert response.status_code == 302
    assert not LoanLink.objects.filter(user=invitee).exists()
    client.force_login(invitee)
    assert client.get(f"/loans/{owner_link.loan.pk}/").status_code == 404
    assert owner_link.loan.loan_number not in client.get("/loans/").content.decode()


def test_a_revoked_or_expired_invitation_link_cannot_be_accepted(client, owner_link, invite):
    first = invite(owner_link)
    second = invite(owner_link, email="dad@example.com")
    LoanInvitation.objects.filter(email="mum@example.com").update(
        revoked_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    invitee = UserFactory()
    client.force_login(invitee)
    response = client.post(first)
    assert response.status_code == 400
    assert "withdrawn" in response.content.decode()
    with time_machine.travel(dt.timedelta(days=8)):
        client.force_login(invitee)
        response = client.post(second)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not LoanLink.objects.filter(user=invitee).exists()
    # Shaped like a signed link but not signed by us: the page explains; any other junk is 404.
    assert client.post("/loans/invitations/eyJpIjoxfQ:1tXyZa:forged-signature/").status_code == 400
    assert client.post("/loans/invitations/forged-token/").status_code == 404


def test_invite_form_errors_show_next_to_the_field(client, owner_link):
    client.force_login(owner_link.user)
    response = client.post(
        f"/loans/{owner_link.loan.pk}/sharing/", {"email": "not an email", "role": "owner"}
    )
    text = response.content.decode()
    assert 'id="id_email_error"' in text
    assert "Select a valid choice" in text
    assert not LoanInvitation.objects.exists()
    response = client.post(
        f"/loans/{owner_link.loan.pk}/sharing/", {"email": owner_link.user.email, "role": "viewer"}
    )
    assert "You already have access" in response.content.decode()
