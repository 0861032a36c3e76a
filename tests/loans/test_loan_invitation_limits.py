"""Invitations are no spam relay (issue 10, item 5) and bind to the invited email (decision in
docs/accounts.md): a few a day per borrower and per loan, no free text in the subject, the
inviter named by their verified email, a bounded name, accepted only by the invited address."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from factories import LoanLinkFactory, UserFactory

from loans.models import LoanInvitation, LoanLink

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)
SPAM_NAME = "Your loan is PAST DUE – call 1-900-555-0100 now to avoid repossession"


def _invite(client, loan, email, *, name="Mum", role="viewer", capture):
    with capture(execute=True):
        return client.post(
            f"/loans/{loan.pk}/sharing/", {"email": email, "name": name, "role": role}
        )


def _error(response, field="email") -> str:
    match = re.search(rf'id="id_{field}_error">([^<]*)<', response.content.decode())
    return match.group(1).strip().replace("&#x27;", "'") if match else ""


def test_a_loan_gets_at_most_3_invitations_a_day(client, django_capture_on_commit_callbacks):
    link = LoanLinkFactory()
    with time_machine.travel(NOON, tick=False):
        client.force_login(link.user)
        for i in range(3):
            response = _invite(
                client, link.loan, f"p{i}@example.com", capture=django_capture_on_commit_callbacks
            )
            assert response.status_code == 302
        refused = _invite(
            client, link.loan, "p3@example.com", capture=django_capture_on_commit_callbacks
        )
    assert _error(refused) == (
        "This loan has been shared 3 times in the last 24 hours, the most allowed. "
        "Try again tomorrow."
    )
    assert LoanInvitation.objects.count() == 3 and len(mail.outbox) == 3
    with time_machine.travel(NOON + dt.timedelta(hours=24, seconds=1), tick=False):
        client.force_login(link.user)
        later = _invite(
            client, link.loan, "p3@example.com", capture=django_capture_on_commit_callbacks
        )
    assert later.status_code == 302 and len(mail.outbox) == 4


def test_a_borrower_sends_at_most_5_invitations_a_day(client, django_capture_on_commit_callbacks):
    owner = UserFactory()
    loans = [LoanLinkFactory(user=owner).loan, LoanLinkFactory(user=owner).loan]
    with time_machine.travel(NOON, tick=False):
        client.force_login(owner)
        sent = [
            _invite(client, loan, f"p{i}@example.com", capture=django_capture_on_commit_callbacks)
            for i, loan in enumerate([loans[0]] * 3 + [loans[1]] * 2)
        ]
        refused = _invite(
            client, loans[1], "p9@example.com", capture=django_capture_on_commit_callbacks
        )
    assert [r.status_code for r in sent] == [302] * 5
    assert _error(refused) == (
        "You have sent 5 invitations in the last 24 hours, the most allowed. Try again tomorrow."
    )
    assert LoanInvitation.objects.count() == 5 and len(mail.outbox) == 5


def test_revoking_does_not_give_invitations_back(client, django_capture_on_commit_callbacks):
    link = LoanLinkFactory()
    client.force_login(link.user)
    for i in range(3):
        _invite(client, link.loan, f"p{i}@example.com", capture=django_capture_on_commit_callbacks)
    for invitation in LoanInvitation.objects.all():
        client.post(f"/loans/{link.loan.pk}/sharing/{invitation.pk}/revoke/")
    refused = _invite(
        client, link.loan, "p3@example.com", capture=django_capture_on_commit_callbacks
    )
    assert "the most allowed" in _error(refused)
    assert LoanInvitation.objects.count() == 3


def test_the_email_has_no_free_text_in_its_subject_and_names_the_verified_inviter(
    client, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="pat@example.com", full_name=SPAM_NAME)
    link = LoanLinkFactory(user=owner)
    client.force_login(owner)
    _invite(client, link.loan, "mum@example.com", capture=django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    assert message.subject == "A car loan was shared with you on iSmartPay"
    assert "pat@example.com (a verified iSmartPay account) invited you" in message.body
    assert "PAST DUE" not in message.body and "1-900" not in message.body


def test_an_inviter_without_a_verified_email_cannot_invite(
    client, django_capture_on_commit_callbacks
):
    owner = UserFactory(verified_email=False)
    link = LoanLinkFactory(user=owner)
    client.force_login(owner)
    response = _invite(
        client, link.loan, "mum@example.com", capture=django_capture_on_commit_callbacks
    )
    assert _error(response) == "Confirm your email address before sharing a loan."
    assert not LoanInvitation.objects.exists() and mail.outbox == []


@pytest.mark.parametrize(
    "name",
    [
        "Call 1-900-555-0100",
        "Visit http://pay-now.example",
        "A" * 61,
        "Mum\nYour loan is past due",
    ],
)
def test_the_invitees_name_is_a_short_plain_name(client, django_capture_on_commit_callbacks, name):
    link = LoanLinkFactory()
    client.force_login(link.user)
    response = _invite(
        client, link.loan, "mum@example.com", name=name, capture=django_capture_on_commit_callbacks
    )
    assert _error(response, "name") == (
        "Enter just their name (letters, spaces, hyphens and apostrophes; up to 60)."
    )
    assert not LoanInvitation.objects.exists() and mail.outbox == []


def _accept_path(client, link, email, capture) -> str:
    client.force_login(link.user)
    _invite(client, link.loan, email, capture=capture)
    url = re.search(r"https?://\S+/loans/invitations/\S+/", mail.outbox[-1].body).group(0)
    return "/" + url.split("/", 3)[-1]


def test_an_invitation_is_accepted_only_by_the_invited_email(
    client, django_capture_on_commit_callbacks
):
    link = LoanLinkFactory()
    path = _accept_path(client, link, "Mum@Example.com", django_capture_on_commit_callbacks)
    stranger = UserFactory(email="finder@example.com")
    client.force_login(stranger)
    expected = (
        "This invitation was sent to M•••@Example.com. Sign in with that address to accept it, "
        "or ask the person who shared the loan to invite the address you use."
    )
    page = client.get(path)
    assert page.status_code == 400 and expected in page.content.decode()
    response = client.post(path)
    assert response.status_code == 400 and expected in response.content.decode()
    assert not LoanLink.objects.filter(user=stranger).exists()
    unverified = UserFactory(email="mum@example.com", verified_email=False)
    client.force_login(unverified)
    assert client.post(path).status_code == 400
    assert not LoanLink.objects.filter(user=unverified).exists()


def test_the_invited_address_accepts(client, django_capture_on_commit_callbacks):
    link = LoanLinkFactory()
    path = _accept_path(client, link, "Mum@Example.com", django_capture_on_commit_callbacks)
    mum = UserFactory(email="mum@example.com")
    client.force_login(mum)
    response = client.post(path)
    assert response["Location"] == f"/loans/{link.loan.pk}/"
    assert LoanLink.objects.get(user=mum).role == "viewer"
