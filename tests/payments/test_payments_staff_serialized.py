"""Issue 9, finding 10: staff actions on one payment are serialized — a refund, a reversal
and an approval submitted at once: one wins, the others are refused with a message."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from loans.models import LoanPosting
from payments.errors import PaymentError
from payments.models import Payment, SandboxRefund
from payments.services import (
    new_idempotency_key,
    payment_refund,
    payment_refund_finish,
    payment_reverse,
    payment_submit,
)

NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
S = Payment.Status


def _posted_payment(loan, card, borrower):
    with time_machine.travel(NOW, tick=False):
        return payment_submit(
            loan_id=loan.pk,
            method=card,
            amount=Decimal("483.32"),
            idempotency_key=new_idempotency_key(),
            payer=borrower,
            payer_email=borrower.email,
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(3))
def test_a_refund_and_a_reversal_of_one_payment_at_once_one_wins(
    trial, borrower, linked_loan, add_card, admin_user, settings
):
    settings.PAYMENT_SANDBOX_LATENCY_MS = 300  # the refund call takes a while
    payment = _posted_payment(linked_loan, add_card("4242424242424242"), borrower)
    assert payment.status == S.POSTED
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def act(name, service):
        barrier.wait()
        try:
            results[name] = service(payment_id=payment.pk, reason="duplicate", actor=admin_user)
        except PaymentError as exc:
            results[name] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=("refund", payment_refund)),
        threading.Thread(target=act, args=("reverse", payment_reverse)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    refused = [r for r in results.values() if isinstance(r, PaymentError)]
    assert len(refused) == 1
    payment.refresh_from_db()
    reversals = LoanPosting.objects.filter(kind="reversal").count()
    if payment.status == S.REFUNDED:
        assert SandboxRefund.objects.count() == 1
        assert "is being refunded" in str(refused[0]) or "is refunded" in str(refused[0])
    else:
        assert payment.status == S.REVERSED
        assert SandboxRefund.objects.count() == 0
        assert str(refused[0]) == (
            "This payment is reversed; only a posted or settled payment can be refunded."
        )
    assert reversals == 1  # the posting is undone exactly once either way
    assert payment.events.filter(to_status__in=[S.REFUNDED, S.REVERSED]).count() == 1


@pytest.mark.django_db
def test_a_refund_whose_processor_call_failed_is_finished_by_the_sweep_once(
    borrower, linked_loan, add_card, admin_user, monkeypatch
):
    from payments.gateways.base import GatewayError
    from payments.gateways.sandbox import SandboxGateway
    from payments.services import refunds_resume

    payment = _posted_payment(linked_loan, add_card("4242424242424242"), borrower)
    real_refund = SandboxGateway.refund

    def down(self, **kwargs):
        raise GatewayError("processor unavailable")

    monkeypatch.setattr(SandboxGateway, "refund", down)
    with pytest.raises(PaymentError, match="retried automatically"):
        payment_refund(payment_id=payment.pk, reason="borrower asked", actor=admin_user)
    payment.refresh_from_db()
    assert payment.status == S.REFUNDING
    with pytest.raises(PaymentError, match="is being refunded"):
        payment_reverse(payment_id=payment.pk, reason="second agent", actor=admin_user)
    monkeypatch.setattr(SandboxGateway, "refund", real_refund)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    assert refunds_resume(now=later) == 1
    payment_refund_finish(payment_id=payment.pk)  # a second sweep: nothing more happens
    payment.refresh_from_db()
    assert payment.status == S.REFUNDED
    assert SandboxRefund.objects.get().amount_cents == 48332
    assert LoanPosting.objects.filter(kind="reversal").count() == 1
