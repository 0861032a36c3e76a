"""Staff: the admin needs allauth sign-in and a second factor; roles; the append-only audit."""

import pytest
from accounts_helpers import OTP_URL, sign_in
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django_otp import DEVICE_ID_SESSION_KEY
from factories import TEST_PASSWORD, UserFactory, totp_code, totp_device_for

from accounts.audit import audit_record
from accounts.models import AuditEvent, TOTPDevice
from accounts.roles import SUPERVISOR, SUPPORT_AGENT


def make_staff(role=None, *, device=True, superuser=False):
    user = UserFactory(is_staff=True, is_superuser=superuser)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if device:
        user.totp_device = totp_device_for(user)
    return user


def verified_client(client, user):
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totp_device.persistent_id
    session.save()
    return client


@pytest.mark.django_db
def test_admin_sign_in_goes_through_allauth(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    staff = make_staff()
    posted = client.post("/admin/login/", {"username": staff.email, "password": TEST_PASSWORD})
    assert posted["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_sign_in_is_rate_limited_like_every_sign_in(client):
    staff = make_staff()
    for _ in range(5):
        sign_in(client, staff.email, "wrong password guess")
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": staff.email, "password": TEST_PASSWORD}
    )
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_is_refused_without_the_second_factor(client):
    staff = make_staff(SUPPORT_AGENT, superuser=True)
    sign_in(client, staff.email, TEST_PASSWORD)
    assert client.get("/admin/")["Location"].startswith(OTP_URL)
    assert client.get("/admin/accounts/user/")["Location"].startswith(OTP_URL)
    client.post(OTP_URL, {"code": totp_code(staff.totp_device)})
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_staff_without_a_device_are_sent_to_set_one_up(client):
    staff = make_staff(device=False, superuser=True)
    sign_in(client, staff.email, TEST_PASSWORD)
    assert client.get("/admin/")["Location"].startswith("/account/security/authenticator/")


@pytest.mark.django_db
def test_borrowers_get_no_admin_even_when_verified(client, otp_borrower):
    verified_client(client, otp_borrower)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403


@pytest.mark.django_db
def test_roles_exist_with_their_permissions():
    agent = Group.objects.get(name=SUPPORT_AGENT)
    supervisor = Group.objects.get(name=SUPERVISOR)
    agent_perms = set(agent.permissions.values_list("codename", flat=True))
    supervisor_perms = set(supervisor.permissions.values_list("codename", flat=True))
    assert {"view_user", "view_profile", "view_signinevent", "view_loan"} <= agent_perms
    assert not {"issue_refund", "reverse_payment", "waive_fee", "change_user"} & agent_perms
    assert "view_auditevent" not in agent_perms
    assert {
        "issue_refund",
        "reverse_payment",
        "waive_fee",
        "reset_second_factor",
        "view_auditevent",
    } <= supervisor_perms
    assert not any(
        p.startswith(("add_", "change_", "delete_")) and p.endswith("auditevent")
        for p in supervisor_perms
    )


@pytest.mark.django_db
def test_viewing_and_changing_a_borrower_in_the_admin_is_audited(client, borrower):
    agent = make_staff(SUPERVISOR)
    verified_client(client, agent)
    url = f"/admin/accounts/user/{borrower.pk}/change/"
    assert client.get(url).status_code == 200
    view = AuditEvent.objects.get(action="admin.view")
    assert (view.actor, view.target_type, view.target_id) == (
        agent,
        "accounts.user",
        str(borrower.pk),
    )
    assert view.ip == "127.0.0.1" and view.actor_email == agent.email


@pytest.mark.django_db
def test_a_staff_change_in_the_admin_is_audited(client, borrower):
    superuser = make_staff(superuser=True)
    verified_client(client, superuser)
    url = f"/admin/accounts/user/{borrower.pk}/change/"
    data = {
        "email": borrower.email,
        "full_name": "Corrected Name",
        "phone": "",
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "profile-TOTAL_FORMS": "0",
        "profile-INITIAL_FORMS": "0",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    borrower.refresh_from_db()
    assert borrower.full_name == "Corrected Name"
    change = AuditEvent.objects.get(action="admin.change")
    assert (change.actor, change.target_id) == (superuser, str(borrower.pk))
    assert "Full name" in str(change.details)


@pytest.mark.django_db
def test_support_agents_can_view_but_not_change(client, borrower):
    agent = make_staff(SUPPORT_AGENT)
    verified_client(client, agent)
    url = f"/admin/accounts/user/{borrower.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    client.post(url, {"email": "hijack@example.com"})
    borrower.refresh_from_db()
    assert borrower.email != "hijack@example.com"
    assert AuditEvent.objects.filter(action="admin.view", actor=agent).count() == 1


@pytest.mark.django_db
def test_a_supervisor_resets_a_borrowers_second_factor_with_an_audit_row(client, otp_borrower):
    supervisor = make_staff(SUPERVISOR)
    verified_client(client, supervisor)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [otp_borrower.pk]},
    )
    assert response.status_code == 302
    otp_borrower.refresh_from_db()
    assert not otp_borrower.has_second_factor
    assert not TOTPDevice.objects.filter(user=otp_borrower).exists()
    assert AuditEvent.objects.filter(
        action="account.second_factor_reset", actor=supervisor, target_id=str(otp_borrower.pk)
    ).exists()
    assert AuditEvent.objects.filter(action="admin.action.reset_second_factor").exists()


@pytest.mark.django_db
def test_support_agents_cannot_reset_a_second_factor(client, otp_borrower):
    verified_client(client, make_staff(SUPPORT_AGENT))
    client.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [otp_borrower.pk]},
    )
    otp_borrower.refresh_from_db()
    assert otp_borrower.has_second_factor


@pytest.mark.django_db
def test_audit_record_api_stores_who_what_when_why(rf, borrower):
    staff = make_staff(SUPERVISOR)
    request = rf.post("/x", REMOTE_ADDR="203.0.113.9")
    event = audit_record(
        actor=staff,
        action="payment.refund",
        target=borrower,
        reason="Duplicate charge",
        request=request,
        details={"amount": "25.00"},
    )
    event.refresh_from_db()
    assert (event.actor_email, event.action, event.reason, event.ip) == (
        staff.email,
        "payment.refund",
        "Duplicate charge",
        "203.0.113.9",
    )
    assert (event.target_type, event.target_id) == ("accounts.user", str(borrower.pk))
    assert event.created_at is not None and event.details == {"amount": "25.00"}


@pytest.mark.django_db
def test_audit_rows_cannot_be_edited_or_deleted(borrower):
    event = audit_record(actor=None, action="system.test", target=borrower)
    event.reason = "rewritten"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    with pytest.raises(PermissionDenied):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(PermissionDenied):
        AuditEvent.objects.all().delete()
    if connection.vendor == "postgresql":
        for sql in (
            "UPDATE accounts_auditevent SET reason = 'x'",
            "DELETE FROM accounts_auditevent",
        ):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
                c.execute(sql)
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.django_db
def test_even_a_superuser_cannot_change_or_delete_audit_rows_in_the_admin(client, borrower):
    superuser = make_staff(superuser=True)
    verified_client(client, superuser)
    event = audit_record(actor=superuser, action="system.test", target=borrower)
    page = client.get(f"/admin/accounts/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.get(f"/admin/accounts/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
