"""Attacker review, finding 4: the phone page's hidden `idempotency_key` took any string. With
`suspense:x` the $300 phone payment was missing from the dashboard; with a check's key set
ahead, the real check recorded later was dropped as a "replay". The key must be one this server
issued (signed, payments/services/phone.py); the payment's key is then `phone:<uuid>`, a
namespace no other key uses."""

from decimal import Decimal

import pytest
import time_machine
from staff_helpers import NOW, TODAY, make_staff, staff_client

from accounts.roles import SUPPORT_AGENT
from payments.models import Payment
from payments.services.received import payment_record_received, received_key

pytestmark = pytest.mark.django_db
URL = "/admin/payments/payment/phone/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def phone_form(loan, amount, key):
    return {
        "loan_number": loan.loan_number,
        "amount": amount,
        "kind": "card",
        "card_number": "4242424242424242",
        "card_exp": "12/30",
        "card_cvc": "123",
        "card_zip": "10001",
        "authorized_by": "Dana Demo",
        "authorization_read": "on",
        "idempotency_key": key,
        "confirm_duplicate": "on",
    }


@pytest.mark.parametrize("key", ["suspense:not-really", "pay_abc", "phone:0123"])
def test_a_key_this_server_did_not_issue_is_refused(linked_loan, key):
    client = staff_client(make_staff(SUPPORT_AGENT))

    response = client.post(URL, phone_form(linked_loan, "300.00", key))

    assert response.status_code == 200
    assert "open the page again" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_checks_key_set_ahead_cannot_swallow_the_real_check(linked_loan):
    agent = make_staff(SUPPORT_AGENT)
    key = received_key(channel="check", loan_id=linked_loan.pk, reference="9001")

    staff_client(agent).post(URL, phone_form(linked_loan, "1.00", key))
    check = payment_record_received(
        loan_id=linked_loan.pk,
        channel="check",
        amount=Decimal("50.00"),
        effective_date=TODAY,
        reference="9001",
        actor=agent,
    )

    assert (check.payment.channel, check.payment.amount) == ("check", Decimal("50.00"))
    assert list(Payment.objects.values_list("channel", flat=True)) == ["check"]


def test_the_issued_key_takes_the_payment_once_under_the_phone_namespace(linked_loan):
    client = staff_client(make_staff(SUPPORT_AGENT))
    issued = client.get(URL).context["form"].initial["idempotency_key"]

    first = client.post(URL, phone_form(linked_loan, "300.00", issued))
    second = client.post(URL, phone_form(linked_loan, "300.00", issued))

    payment = Payment.objects.get()
    assert first["Location"] == second["Location"]
    assert payment.idempotency_key.startswith("phone:") and payment.amount == Decimal("300.00")
