"""Velocity and sanity rules hold a payment for staff review; staff approve or reject it in the
admin, every action audited; the borrower is told either way."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from staff_helpers import form_token

from accounts.models import AuditEvent
from payments.models import Payment, SandboxCharge
from payments.services import payment_submit

NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _tuesday():
    with time_machine.travel(NOW, tick=False):
        yield


def _pay(borrower, loan, method, amount: str, key: str) -> Payment:
    return payment_submit(
        loan_id=loan.pk,
        method=method,
        amount=Decimal(amount),
        idempotency_key=key,
        payer=borrower,
        payer_email=borrower.email,
        confirm_duplicate=True,
    )


@pytest.mark.django_db
def test_the_sixth_attempt_in_an_hour_is_held_and_nothing_is_charged(
    borrower, linked_loan, add_card, django_capture_on_commit_callbacks
):
    card = add_card("4242424242424242")
    for i in range(5):
        assert _pay(borrower, linked_loan, card, "10.00", f"k{i}").status == "posted"
    with django_capture_on_commit_callbacks(execute=True):
        held = _pay(borrower, linked_loan, card, "10.00", "k5")
    assert held.status == Payment.Status.HELD
    assert held.risk_flags == ["5+ attempts on this loan in an hour"]
    assert SandboxCharge.objects.count() == 5
    assert mail.outbox[-1].subject == "Your payment of $10.00 is being checked"


@pytest.mark.django_db
def test_a_brand_new_card_paying_more_than_three_installments_is_held(
    borrower, linked_loan, add_card
):
    card = add_card("4242424242424242")
    assert _pay(borrower, linked_loan, card, "1449.96", "a").status == "posted"  # 3 × 483.32
    held = _pay(borrower, linked_loan, card, "1449.97", "b")
    assert held.status == Payment.Status.HELD
    assert held.risk_flags == [
        "a method added in the last 24 hours paying more than 3 installments"
    ]


@pytest.fixture
def staff_client(client, db):
    """A staff member past the second factor, with the review permission."""
    from factories import UserFactory, totp_device_for

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="review_payment"),
        Permission.objects.get(codename="view_payment"),
    )
    device = totp_device_for(staff)
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    client.staff = staff
    return client


@pytest.mark.django_db
def test_staff_approve_a_held_payment_it_is_charged_once_and_audited(
    staff_client, borrower, linked_loan, add_card
):
    card = add_card("4242424242424242")
    held = _pay(borrower, linked_loan, card, "2000.00", "big")
    url = reverse("admin:payments_payment_approve", args=[held.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"reason": "Called the borrower; confirmed the payment."})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == Payment.Status.POSTED
    assert SandboxCharge.objects.count() == 1
    audit = AuditEvent.objects.get(action="payment.review_approve")
    assert audit.actor == staff_client.staff and "confirmed" in audit.reason
    # Approving again is refused, not repeated.
    staff_client.post(url, {"reason": "Called the borrower; confirmed the payment."})
    assert SandboxCharge.objects.count() == 1


@pytest.mark.django_db
def test_staff_reject_a_held_payment_nothing_is_charged_and_the_payer_is_told(
    staff_client, borrower, linked_loan, add_card, django_capture_on_commit_callbacks
):
    card = add_card("4242424242424242")
    held = _pay(borrower, linked_loan, card, "2000.00", "big")
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:payments_payment_reject", args=[held.pk]),
            {"reason": "Card reported stolen by the issuer."},
        )
    held.refresh_from_db()
    assert held.status == Payment.Status.CANCELLED
    assert not SandboxCharge.objects.exists()
    assert mail.outbox[-1].subject == "Your payment of $2,000.00 was not processed"
    assert AuditEvent.objects.filter(action="payment.review_reject").count() == 1


@pytest.mark.django_db
def test_staff_without_the_permission_cannot_approve(client, borrower, linked_loan, add_card):
    from factories import UserFactory, totp_device_for

    agent = UserFactory(is_staff=True)
    agent.user_permissions.add(Permission.objects.get(codename="view_payment"))
    device = totp_device_for(agent)
    client.force_login(agent)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    held = _pay(borrower, linked_loan, add_card("4242424242424242"), "2000.00", "big")
    response = client.post(
        reverse("admin:payments_payment_approve", args=[held.pk]),
        {"reason": "trying to approve without rights"},
    )
    assert response.status_code == 403
    held.refresh_from_db()
    assert held.status == Payment.Status.HELD


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "status"), [("refund", "refunded"), ("reverse", "reversed")])
def test_supervisors_refund_or_reverse_a_payment_the_loan_is_restored_and_it_is_audited(
    staff_client, borrower, linked_loan, add_card, action, status
):
    from django.db.models import Sum

    perm = {"refund": "issue_refund", "reverse": "reverse_payment"}[action]
    staff_client.staff.user_permissions.add(Permission.objects.get(codename=perm))
    # At or below the lender's four-eyes threshold one supervisor acts alone (issue 13; above
    # it: tests/loans/test_staff_fees_four_eyes.py).
    linked_loan.lender.four_eyes_threshold = Decimal("500.00")
    linked_loan.lender.save(update_fields=["four_eyes_threshold"])
    before = linked_loan.principal_balance
    payment = _pay(borrower, linked_loan, add_card("4242424242424242"), "483.32", "p")
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance < before
    url = reverse(f"admin:payments_payment_{action}", args=[payment.pk])
    staff_client.post(
        url, {"reason": "Borrower paid the wrong loan by mistake.", "submit_token": form_token()}
    )
    payment.refresh_from_db()
    linked_loan.refresh_from_db()
    assert payment.status == status
    assert linked_loan.principal_balance == before
    refunded = SandboxCharge.objects.aggregate(total=Sum("refunded_cents"))["total"]
    assert refunded == (48332 if action == "refund" else 0)
    audits = AuditEvent.objects.filter(action=f"payment.{action}", target_id=str(payment.pk))
    assert audits.count() == 1
