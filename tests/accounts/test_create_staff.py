"""`manage.py create_staff` (docs/servicing.md "Staff accounts", README): a support agent or
supervisor as the docs say, a one-time link to set a password, and staff who sign in at
/accounts/login/ land on the staff pages, not the borrower's "No loans linked yet"."""

import io
import re

import pytest
from accounts_helpers import link_in_last_mail, sign_in
from django.core import mail
from django.core.management import CommandError, call_command
from staff_helpers import make_staff

from accounts.models import AuditEvent, User
from accounts.roles import SUPERVISOR, SUPPORT_AGENT

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Blue-Lantern-Orchard-42"


def run(*args) -> str:
    out = io.StringIO()
    call_command("create_staff", *args, stdout=out)
    return out.getvalue()


def test_create_staff_makes_an_agent_who_sets_a_password_from_the_emailed_link(client):
    out = run("ana@lender.example", "--role", "agent", "--name", "Ana Ruiz")

    user = User.objects.get(email="ana@lender.example")
    assert (user.is_staff, user.is_superuser, user.has_usable_password()) == (True, False, False)
    assert list(user.groups.values_list("name", flat=True)) == [SUPPORT_AGENT]
    assert user.full_name == "Ana Ruiz"
    assert "Created support agent ana@lender.example." in out
    assert "set up an authenticator" in out
    assert mail.outbox[-1].to == ["ana@lender.example"]
    assert (
        AuditEvent.objects.filter(action="accounts.staff_create", target_id=str(user.pk)).count()
        == 1
    )

    link = link_in_last_mail(r"https?://\S+/password/reset/key/\S+")
    page = client.get(link, follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_create_staff_prints_the_link_for_a_supervisor_when_asked():
    out = run("sam@lender.example", "--role", "supervisor", "--print-link")
    user = User.objects.get(email="sam@lender.example")
    assert list(user.groups.values_list("name", flat=True)) == [SUPERVISOR]
    assert re.search(r"http://\S+/accounts/password/reset/key/\S+", out)
    assert mail.outbox == []


def test_create_staff_refuses_an_existing_address_and_an_unknown_role():
    make_staff(email="taken@lender.example")
    with pytest.raises(CommandError, match="already has an account"):
        run("taken@lender.example", "--role", "agent")
    with pytest.raises(CommandError):
        run("new@lender.example", "--role", "boss")
    assert not User.objects.filter(email="new@lender.example").exists()


def test_create_staff_refuses_an_address_a_borrower_added_but_has_not_verified():
    from allauth.account.models import EmailAddress
    from factories import UserFactory

    borrower = UserFactory(email="first@example.com")
    EmailAddress.objects.create(user=borrower, email="second@example.com", verified=False)
    with pytest.raises(CommandError, match="already has an account"):
        run("Second@example.com", "--role", "agent")
    assert EmailAddress.objects.filter(email__iexact="second@example.com").count() == 1


def test_staff_signing_in_without_next_land_on_the_staff_pages(client):
    from factories import TEST_PASSWORD

    staff = make_staff(SUPPORT_AGENT)
    response = sign_in(client, staff.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_every_create_staff_line_in_the_docs_runs_as_written():
    import shlex

    from shared_helpers import ROOT

    lines = [
        line.strip().strip("`")
        for doc in ("README.md", "docs/servicing.md")
        for line in (ROOT / doc).read_text().splitlines()
        if line.strip().startswith("bin/manage create_staff")
    ]
    assert len(lines) == 2
    for line in lines:
        words = shlex.split(line)
        assert words[:2] == ["bin/manage", "create_staff"]
        run(*words[2:])
    assert User.objects.filter(is_staff=True).count() == 2
