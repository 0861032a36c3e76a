"""Targets 1, 5 and 7: concurrent double submits and crashes never charge twice."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from loans.models import LoanPosting
from payments.gateways import get_gateway
from payments.gateways.base import OutcomeUnknown
from payments.models import Payment, SandboxCharge
from payments.services import payment_recover, payment_submit

NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_confirms_make_one_payment_one_charge_one_posting(
    borrower, linked_loan, add_card
):
    card = add_card("4242424242424242")
    first = Client()
    with time_machine.travel(NOW, tick=True):
        first.force_login(borrower)
        review = first.post(
            reverse("payments:pay", args=[linked_loan.pk]),
            {"amount_choice": "due", "method": str(card.pk), "pay_on": "2026-11-24"},
        )["Location"]
        cookie = first.cookies["sessionid"].value
        barrier = threading.Barrier(20)
        results: list = []

        def confirm():
            client = Client()
            client.cookies["sessionid"] = cookie
            barrier.wait()
            try:
                response = client.post(review)
                results.append((response.status_code, response.get("Location")))
            finally:
                connection.close()

        threads = [threading.Thread(target=confirm) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    payment = Payment.objects.get()
    receipt = reverse("payments:detail", args=[payment.reference])
    assert results == [(302, receipt)] * 20  # every response lands on the same receipt, 0 500s
    assert SandboxCharge.objects.count() == 1
    assert LoanPosting.objects.filter(kind="payment").count() == 1
    assert payment.status == Payment.Status.POSTED


def _submit(borrower, loan, card, key):
    return payment_submit(
        loan_id=loan.pk,
        method=card,
        amount=Decimal("483.32"),
        idempotency_key=key,
        payer=borrower,
        payer_email=borrower.email,
        now=NOW,
    )


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_an_answer_lost_after_the_processor_accepted_is_recovered_without_a_second_charge(
    borrower, linked_loan, add_card, monkeypatch
):
    # Kill point (c): the processor took the charge but the answer never reached us.
    card = add_card("4242424242424242")
    gateway = get_gateway()
    real_charge = gateway.charge

    def charge_then_lose_the_answer(request):
        real_charge(request)
        raise OutcomeUnknown("timeout")

    monkeypatch.setattr(gateway, "charge", charge_then_lose_the_answer)
    payment = _submit(borrower, linked_loan, card, "key-c")
    assert payment.status == Payment.Status.UNKNOWN
    monkeypatch.undo()
    payment = payment_recover(payment_id=payment.pk)
    assert payment.status == Payment.Status.POSTED
    assert SandboxCharge.objects.count() == 1
    assert payment_recover(payment_id=payment.pk).status == Payment.Status.POSTED  # rerun: no-op
    assert LoanPosting.objects.filter(kind="payment").count() == 1


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_worker_that_died_before_calling_the_processor_is_recovered_by_charging_once(
    borrower, linked_loan, add_card, monkeypatch
):
    # Kill point (b): the row is committed and claimed, then the process dies.
    card = add_card("4242424242424242")
    gateway = get_gateway()

    def die(request):
        raise SystemExit("worker killed")

    monkeypatch.setattr(gateway, "charge", die)
    with pytest.raises(SystemExit):
        _submit(borrower, linked_loan, card, "key-b")
    monkeypatch.undo()
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.SUBMITTING and payment.submitted_at is not None
    assert not SandboxCharge.objects.exists()
    # A retried request sees the claim and does not charge; the sweep does, under the same key.
    assert _submit(borrower, linked_loan, card, "key-b").status == Payment.Status.SUBMITTING
    assert not SandboxCharge.objects.exists()
    assert payment_recover(payment_id=payment.pk).status == Payment.Status.POSTED
    assert SandboxCharge.objects.get().idempotency_key == "key-b"


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_worker_that_died_after_the_charge_before_recording_is_recovered(
    borrower, linked_loan, add_card, monkeypatch
):
    # Kill point (d): the processor accepted; recording the result died before commit.
    import payments.services.charging as charging

    card = add_card("4242424242424242")

    def die(**kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(charging, "payment_record_result", die)
    with pytest.raises(SystemExit):
        _submit(borrower, linked_loan, card, "key-d")
    monkeypatch.undo()
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.SUBMITTING
    assert SandboxCharge.objects.count() == 1
    assert payment_recover(payment_id=payment.pk).status == Payment.Status.POSTED
    assert SandboxCharge.objects.count() == 1
    assert LoanPosting.objects.filter(kind="payment").count() == 1
