"""Issue 13, money from every channel: checks, money orders, wires and cash networks recorded by
staff post through the ledger like any payment, show in the borrower's history, are audited and
reversible (a returned check: reversal + one NSF fee); a phone payment goes through the same
gateway and charge gate as the borrower's own."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from staff_helpers import form_token
from staff_money_helpers import TODAY, TUESDAY, make_staff, staff_client

from accounts.models import AuditEvent
from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans.models import Loan, LoanPosting
from payments.errors import AmountNotAllowed
from payments.gateways.base import CardInput
from payments.models import Payment, PaymentMethod, SandboxCharge, SuspenseItem
from payments.services.phone import payment_take_by_phone
from payments.services.received import payment_record_received
from payments.services.returned_checks import payment_return_received

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def record(loan, amount="483.32", channel="check", reference="1234", actor=None, **extra):
    return payment_record_received(
        loan_id=loan.pk,
        channel=channel,
        amount=Decimal(amount),
        effective_date=extra.pop("effective_date", TODAY),
        reference=reference,
        actor=actor,
        reason="Mailed to the lockbox",
        **extra,
    )


@pytest.mark.parametrize(
    ("channel", "reference", "label"),
    [
        ("check", "1234", "Check #1234"),
        ("money_order", "77001", "Money order #77001"),
        ("wire", "FED20261124A", "Wire FED20261124A"),
        ("moneygram", "MG-889911", "MoneyGram MG-889911"),
        ("western_union", "8812345678", "Western Union 8812345678"),
        ("paynearme", "PNM 5521", "PayNearMe PNM 5521"),
    ],
)
def test_money_received_in_hand_posts_through_the_ledger_and_is_audited(
    linked_loan, channel, reference, label
):
    agent = make_staff(SUPPORT_AGENT)
    result = record(linked_loan, channel=channel, reference=reference, actor=agent)
    payment = result.payment
    assert result.suspense is None
    assert (payment.status, payment.channel, payment.method_label) == ("posted", channel, label)
    assert payment.method is None and payment.processor_ref == ""
    posting = LoanPosting.objects.get(pk=payment.loan_posting_id)
    # 19 days of interest on $21,335.10 at 6 % = $66.64, the rest to principal.
    assert (posting.fees, posting.interest, posting.principal) == (
        Decimal("0.00"),
        Decimal("66.64"),
        Decimal("416.68"),
    )
    assert posting.idempotency_key == f"payment:{payment.pk}"
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance == Decimal("20918.42")
    assert [(e.from_status, e.to_status) for e in payment.events.all()] == [("", "posted")]
    audit = AuditEvent.objects.get(action="payment.record_received")
    assert (audit.actor, audit.target_id, audit.details["reference"]) == (
        agent,
        str(payment.pk),
        reference,
    )
    assert not SandboxCharge.objects.exists()  # no processor call: the money is in hand


def test_recording_the_same_check_twice_is_one_payment(linked_loan):
    first = record(linked_loan).payment
    again = record(linked_loan).payment
    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    assert LoanPosting.objects.filter(kind="payment").count() == 1


def test_a_check_above_the_payoff_posts_the_payoff_and_holds_the_rest_in_suspense(linked_loan):
    result = record(linked_loan, amount="22000.00")
    payment = result.payment
    assert payment.amount == Decimal("22000.00")
    assert payment.applied_amount == Decimal("21401.74")  # the payoff on Nov 24
    linked_loan.refresh_from_db()
    assert linked_loan.status == Loan.Status.PAID_OFF
    item = result.suspense
    assert (item.amount, item.balance, item.reason, item.payment) == (
        Decimal("598.26"),
        Decimal("598.26"),
        "overpayment",
        payment,
    )
    payment.refresh_from_db()
    assert payment.unapplied_refunded_at is None  # never sent to the processor


def test_the_receipt_says_a_checks_excess_is_held_not_refunded(borrower_client, linked_loan):
    payment = record(linked_loan, amount="22000.00").payment
    page = borrower_client.get(reverse("payments:detail", args=[payment.reference]))
    text = page.content.decode()
    assert "Held as unapplied funds" in text and "$598.26" in text
    assert "Refunded to you" not in text


def test_a_check_on_a_closed_loan_goes_to_suspense_without_a_payment(linked_loan):
    Loan.objects.filter(pk=linked_loan.pk).update(status=Loan.Status.CLOSED)
    result = record(linked_loan, amount="100.00")
    assert result.payment is None and not Payment.objects.exists()
    assert (result.suspense.reason, result.suspense.balance) == ("loan_closed", Decimal("100.00"))


def test_bad_input_is_refused_and_nothing_is_written(linked_loan):
    with pytest.raises(AmountNotAllowed):
        record(linked_loan, amount="0.00")
    with pytest.raises(Exception, match="future"):
        record(linked_loan, effective_date=dt.date(2026, 11, 25))
    with pytest.raises(Exception, match="reference"):
        record(linked_loan, reference="")
    assert not Payment.objects.exists() and not AuditEvent.objects.exists()


def test_a_returned_check_is_reversed_to_the_cent_with_one_nsf_fee_even_twice(linked_loan):
    supervisor = make_staff(SUPERVISOR)
    payment = record(linked_loan).payment
    for _ in range(2):
        payment_return_received(
            payment_id=payment.pk, return_code="NSF", reason="Bank returned it", actor=supervisor
        )
    payment.refresh_from_db()
    assert (payment.status, payment.return_code) == ("returned", "NSF")
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance == Decimal("21335.10")
    assert linked_loan.unpaid_fees == Decimal("25.00")
    assert LoanPosting.objects.filter(kind="nsf_fee").count() == 1
    assert LoanPosting.objects.filter(kind="reversal").count() == 1
    assert AuditEvent.objects.filter(action="payment.return_check").count() == 1


def test_a_returned_check_voids_what_it_left_in_suspense(linked_loan):
    result = record(linked_loan, amount="22000.00")
    payment_return_received(
        payment_id=result.payment.pk, return_code="STOP", reason="Stopped by drawer", actor=None
    )
    item = SuspenseItem.objects.get()
    assert (item.balance, item.status) == (Decimal("0.00"), "cleared")
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance == Decimal("21335.10")


def test_a_check_shows_in_the_borrowers_history_and_receipt(borrower_client, linked_loan):
    payment = record(linked_loan).payment
    history = borrower_client.get(reverse("payments:history")).content.decode()
    assert "Check #1234" in history
    detail = borrower_client.get(reverse("payments:detail", args=[payment.reference]))
    assert detail.status_code == 200
    assert "Check #1234" in detail.content.decode()


# --- phone payments --------------------------------------------------------------------------
CARD = CardInput(
    number="4242424242424242", exp_month=12, exp_year=2030, cvc="864", postal_code="10001"
)


def phone(loan, agent, amount="483.32", **extra):
    return payment_take_by_phone(
        loan_id=loan.pk,
        amount=Decimal(amount),
        authorized_by="Dana Demo",
        actor=agent,
        idempotency_key=extra.pop("key", "phone:1"),
        card=extra.pop("card", CARD),
        **extra,
    )


def test_a_phone_payment_is_charged_through_the_gateway_with_the_verbal_authorization(
    linked_loan,
):
    agent = make_staff(SUPPORT_AGENT)
    payment = phone(linked_loan, agent)
    assert (payment.status, payment.channel, payment.source) == ("posted", "phone", "staff")
    assert SandboxCharge.objects.get().amount_cents == 48332
    text = payment.authorization_text
    assert "Dana Demo" in text and agent.email in text and "$483.32" in text
    assert "2026-11-24T10:00:00" in text
    method = PaymentMethod.objects.get()
    assert method.owner is None and method.last4 == "4242"
    assert "4242424242424242" not in str(PaymentMethod.objects.values().get())
    audit = AuditEvent.objects.get(action="payment.take_by_phone")
    assert audit.details["confirmation"] == payment.reference
    assert phone(linked_loan, agent).pk == payment.pk  # a double click charges once
    assert SandboxCharge.objects.count() == 1


def test_a_phone_payment_on_a_paid_off_loan_is_refused_by_the_gate(linked_loan):
    Loan.objects.filter(pk=linked_loan.pk).update(status=Loan.Status.PAID_OFF)
    with pytest.raises(AmountNotAllowed, match="paid off"):
        phone(linked_loan, make_staff(SUPPORT_AGENT))
    assert not Payment.objects.exists() and not SandboxCharge.objects.exists()


def test_a_declined_phone_card_is_failed_with_its_code(linked_loan):
    card = CardInput(
        number="4000000000000002", exp_month=12, exp_year=2030, cvc="864", postal_code="10001"
    )
    payment = phone(linked_loan, make_staff(SUPPORT_AGENT), card=card)
    assert (payment.status, payment.decline_code) == ("failed", "card_declined")
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance == Decimal("21335.10")


# --- admin pages and permissions -------------------------------------------------------------
RECORD_URL = "/admin/payments/payment/record/"


def allow_alone_up_to(loan, threshold):
    """The lender's four-eyes threshold (dollars): at or below it one person acts alone."""
    loan.lender.four_eyes_threshold = Decimal(threshold)
    loan.lender.save(update_fields=["four_eyes_threshold"])


def record_form(loan, **fields):
    return {
        "loan_number": loan.loan_number,
        "channel": "check",
        "amount": "483.32",
        "effective_date": "2026-11-24",
        "reference": "1234",
        "reason": "Check mailed to the office",
        "submit_token": form_token(),
        **fields,
    }


def test_a_support_agent_records_a_check_in_the_admin(client, linked_loan):
    allow_alone_up_to(linked_loan, "1000.00")  # above it: tests/loans/test_staff_money_four_eyes
    agent = make_staff(SUPPORT_AGENT)
    staff_client(client, agent)
    assert client.get(RECORD_URL).status_code == 200
    response = client.post(RECORD_URL, record_form(linked_loan))
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.method_label == "Check #1234"
    assert AuditEvent.objects.filter(action="payment.record_received", actor=agent).count() == 1


def test_plain_staff_cannot_record_a_payment(client, linked_loan):
    staff_client(client, make_staff())
    assert client.get(RECORD_URL).status_code == 403
    assert client.post(RECORD_URL, record_form(linked_loan)).status_code == 403
    assert not Payment.objects.exists()


def test_bad_admin_input_shows_next_to_the_field_and_saves_nothing(client, linked_loan):
    staff_client(client, make_staff(SUPPORT_AGENT))
    for fields, text in [
        ({"amount": "12.345"}, "dollars and cents"),
        ({"amount": "abc"}, "dollars and cents"),
        ({"loan_number": "NOPE"}, "No loan"),
        ({"effective_date": "2026-12-01"}, "future"),
        ({"reference": ""}, "required"),
    ]:
        response = client.post(RECORD_URL, record_form(linked_loan, **fields))
        assert response.status_code == 200, fields
        assert text in response.content.decode(), fields
    assert not Payment.objects.exists() and not AuditEvent.objects.exists()


def test_a_returned_check_in_the_admin_needs_a_supervisor(client, linked_loan):
    allow_alone_up_to(linked_loan, "1000.00")
    payment = record(linked_loan).payment
    url = f"/admin/payments/payment/{payment.pk}/return-check/"
    form = {"return_code": "NSF", "reason": "Returned unpaid by the bank"}
    form["submit_token"] = form_token()
    staff_client(client, make_staff(SUPPORT_AGENT))
    assert client.post(url, form).status_code == 403
    staff_client(client, make_staff(SUPERVISOR))
    assert client.post(url, form).status_code == 302
    payment.refresh_from_db()
    assert payment.status == "returned"


def test_the_phone_page_charges_through_the_gate_and_reads_back_the_confirmation(
    client, linked_loan
):
    agent = make_staff(SUPPORT_AGENT)
    staff_client(client, agent)
    url = "/admin/payments/payment/phone/"
    page = client.get(url)
    assert page.status_code == 200
    key = page.context["form"].initial["idempotency_key"]
    response = client.post(
        url,
        {
            "loan_number": linked_loan.loan_number,
            "amount": "483.32",
            "kind": "card",
            "card_number": "4242 4242 4242 4242",
            "card_exp": "12/30",
            "card_cvc": "864",
            "card_zip": "10001",
            "authorized_by": "Dana Demo",
            "authorization_read": "on",
            "idempotency_key": key,
        },
        follow=True,
    )
    payment = Payment.objects.get()
    assert payment.status == "posted"
    assert f"Confirmation number {payment.reference}" in response.content.decode()


def test_the_phone_page_shows_refusals_next_to_the_field_and_a_resubmit_charges_once(
    client, linked_loan
):
    staff_client(client, make_staff(SUPPORT_AGENT))
    url = "/admin/payments/payment/phone/"
    key = client.get(url).context["form"].initial["idempotency_key"]
    form = {
        "loan_number": linked_loan.loan_number,
        "amount": "483.32",
        "kind": "card",
        "card_number": "4242 4242 4242 4242",
        "card_exp": "01/20",
        "card_cvc": "864",
        "card_zip": "10001",
        "authorized_by": "Dana Demo",
        "authorization_read": "on",
        "idempotency_key": key,
    }
    expired = client.post(url, form)
    assert expired.status_code == 200 and "expiry date has passed" in expired.content.decode()
    # The form shown again never carries the card number or the CVC (PCI DSS 3.3).
    html = expired.content.decode()
    assert "4242 4242 4242 4242" not in html and "4242424242424242" not in html
    assert 'value="864"' not in html
    assert not Payment.objects.exists() and not SandboxCharge.objects.exists()
    record(linked_loan)  # a $483.32 check a moment ago: the phone payment looks like a duplicate
    ok = {**form, "card_exp": "12/30"}
    warned = client.post(url, ok)
    assert warned.status_code == 200 and "second payment" in warned.content.decode()
    assert client.post(url, {**ok, "confirm_duplicate": "on"}).status_code == 302
    assert client.post(url, {**ok, "confirm_duplicate": "on"}).status_code == 302
    assert Payment.objects.filter(channel="phone").count() == 1
    assert SandboxCharge.objects.count() == 1
