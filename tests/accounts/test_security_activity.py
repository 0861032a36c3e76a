"""Issue 14, security activity: each security or money-authority event is recorded where it
happens (one function, activity_record) and shown on the "Recent activity" page."""

import datetime as dt

import pytest
from django.test import RequestFactory
from factories import LoanLinkFactory, UserFactory

from accounts.models import AccountEvent
from accounts.second_factor import second_factor_reset_by_staff

pytestmark = pytest.mark.django_db


def _kinds(user):
    return list(AccountEvent.objects.filter(user=user).order_by("pk").values_list("kind", "detail"))


def test_password_change_is_recorded_and_shown(borrower_client, borrower):
    borrower.set_password("old-Passw0rd-long")
    borrower.save()
    borrower_client.force_login(borrower)
    response = borrower_client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "old-Passw0rd-long",
            "password1": "New-Passw0rd-long!",
            "password2": "New-Passw0rd-long!",
        },
    )
    assert response.status_code == 302
    assert _kinds(borrower) == [("password_changed", "")]
    assert "Password changed" in borrower_client.get("/account/activity/").content.decode()


def test_email_removed_is_recorded_through_allauths_notification_hook(borrower, rf):
    # allauth's delete_email flow calls exactly this after removing the address.
    from allauth.account.adapter import get_adapter
    from allauth.core.context import request_context

    request = rf.get("/")
    with request_context(request):
        get_adapter(request).send_notification_mail(
            "account/email/email_deleted", borrower, {"deleted_email": "old@example.com"}
        )
    assert _kinds(borrower) == [("email_removed", "old@example.com")]


def test_second_factor_reset_is_recorded(borrower):
    second_factor_reset_by_staff(user=borrower)
    assert _kinds(borrower) == [("second_factor_removed", "Reset by support")]


def test_sign_in_from_a_new_device_is_recorded(borrower):
    from accounts.activity import sign_in_record

    rf = RequestFactory()
    sign_in_record(rf.get("/", HTTP_USER_AGENT="Firefox"), borrower)  # the first: not "new"
    sign_in_record(rf.get("/", HTTP_USER_AGENT="Mozilla/5.0 (Android 14) Chrome/120"), borrower)
    assert [k for k, _ in _kinds(borrower)] == ["new_device"]


def test_payment_method_added_and_removed_are_recorded(borrower, add_card):
    from payments.services import payment_method_remove

    card = add_card("4242424242424242")
    payment_method_remove(method=card, actor=borrower)
    assert _kinds(borrower) == [
        ("method_added", "Visa •••• 4242"),
        ("method_removed", "Visa •••• 4242"),
    ]


def test_autopay_set_up_and_change_are_recorded(borrower, linked_loan, add_card):
    from payments.autopay import schedule as sched
    from payments.autopay.services import autopay_enroll, autopay_pause

    card = add_card("4242424242424242")
    now = dt.datetime(2026, 11, 24, 15, tzinfo=dt.UTC)
    terms = sched.PlanTerms(
        schedule="monthly_due", amount_rule="installment", start_date=dt.date(2026, 11, 24)
    )
    plan = autopay_enroll(
        user=borrower,
        loan_id=linked_loan.pk,
        method=card,
        terms=terms,
        ip_address="203.0.113.9",
        user_agent="pytest",
        now=now,
    )
    autopay_pause(plan_id=plan.pk, user=borrower, now=now)
    number = linked_loan.loan_number
    assert _kinds(borrower)[1:] == [
        ("autopay_set_up", f"Loan {number}: enrolled"),
        ("autopay_changed", f"Loan {number}: paused"),
    ]


def test_third_party_invited_and_removed_are_recorded(borrower, linked_loan):
    from loans.invitations import loan_invitation_revoke, loan_invite

    linked_loan.link_role = "borrower"
    invitation = loan_invite(
        loan=linked_loan, invited_by=borrower, email="sam@example.com", name="Sam", role="viewer"
    )
    loan_invitation_revoke(loan=linked_loan, invitation_id=invitation.pk, by=borrower)
    number = linked_loan.loan_number
    assert [k for k, _ in _kinds(borrower)] == ["third_party_invited", "third_party_removed"]
    assert _kinds(borrower)[1] == ("third_party_removed", f"sam@example.com from loan {number}")


def test_a_third_partys_payment_is_recorded_for_the_owner(borrower, linked_loan):
    from payments.gateways.base import CardInput
    from payments.services import new_idempotency_key, payment_method_add_card, payment_submit

    helper = UserFactory(full_name="Sam Helper")
    LoanLinkFactory(user=helper, loan=linked_loan, role="payer")
    card = payment_method_add_card(
        owner=helper,
        card=CardInput(
            number="4242424242424242", exp_month=12, exp_year=2030, cvc="123", postal_code="10001"
        ),
        idempotency_key=new_idempotency_key(),
    )
    from decimal import Decimal

    payment_submit(
        loan_id=linked_loan.pk,
        method=card,
        amount=Decimal("50.00"),
        idempotency_key=new_idempotency_key(),
        payer=helper,
        payer_email=helper.email,
        actor_label="payer",  # the role the payment page passes for a third party
        confirm_duplicate=True,
    )
    assert _kinds(borrower) == [
        ("third_party_action", f"Sam Helper paid $50.00 on loan {linked_loan.loan_number}")
    ]
