"""The due-date reminder reads what is already on the way, by the dashboard's rule
(payments/upcoming.py). Before (F5 of an earlier review), a borrower whose payment was
scheduled for the day before the due date, or held for a quick check, was emailed "Your
payment of $483.32 is due … Pay now", and the dashboard and the pay form did not count a held
payment: one approved after the borrower paid again was a second payment they never meant."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from autopay_fixtures import five_tries_within_the_hour
from django.core import mail
from django.utils import timezone

from payments import jobs
from payments.errors import DuplicateSuspected
from payments.models import Payment
from payments.services import new_idempotency_key, payment_cancel_scheduled, payment_submit
from payments.upcoming import on_the_way

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 12, 2)  # linked_loan: $483.32 due Sat Dec 5, 3 days ahead (the default)
NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # Tue Dec 1, 10 AM in New York


def _reminders(on: dt.date = ON) -> list[tuple[str, str]]:
    mail.outbox.clear()
    jobs.send_reminders(on=on)
    return [(m.subject, m.body) for m in mail.outbox]


def _held(loan, borrower, add_card, pay, amount: str) -> Payment:
    """The sixth try in an hour: held for staff review, nothing charged."""
    five_tries_within_the_hour(loan, borrower, add_card("4000000000000002"), before=timezone.now())
    held = pay(loan, add_card("4242424242424242"), amount, payer=borrower)
    assert held.status == Payment.Status.HELD
    return held


def test_a_payment_scheduled_for_the_amount_due_gets_a_heads_up_not_a_pay_now(
    borrower, linked_loan, add_card, pay
):
    with time_machine.travel(NOW, tick=False):
        scheduled = pay(
            linked_loan, add_card("4242424242424242"), "483.32", payer=borrower, scheduled_for=ON
        )
    [(subject, body)] = _reminders()
    assert subject == "Your payment of $483.32 is scheduled for Dec 2"
    assert "covers the $483.32 due Saturday, December 5, 2026: nothing more to pay" in body
    assert f"/payments/p/{scheduled.reference}/" in body  # where it can be changed or cancelled
    assert "Pay now" not in body


def test_a_smaller_scheduled_payment_is_named_and_the_reminder_asks_for_the_rest(
    borrower, linked_loan, add_card, pay
):
    with time_machine.travel(NOW, tick=False):
        pay(linked_loan, add_card("4242424242424242"), "200.00", payer=borrower, scheduled_for=ON)
    [(subject, body)] = _reminders()
    assert subject == "Your payment of $283.32 is due Dec 5"
    assert "$200.00 scheduled for Dec 2 — $283.32 left to pay by Dec 5" in body
    assert f"/payments/pay/{linked_loan.pk}/" in body


def test_cancelling_the_scheduled_payment_brings_the_due_reminder_the_next_night(
    borrower, linked_loan, add_card, pay
):
    with time_machine.travel(NOW, tick=False):
        scheduled = pay(
            linked_loan,
            add_card("4242424242424242"),
            "483.32",
            payer=borrower,
            scheduled_for=dt.date(2026, 12, 4),
        )
    assert [s for s, _ in _reminders()] == ["Your payment of $483.32 is scheduled for Dec 4"]
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        payment_cancel_scheduled(payment_id=scheduled.pk, actor=borrower)
    assert [s for s, _ in _reminders(ON + dt.timedelta(days=1))] == [
        "Your payment of $483.32 is due Dec 5"
    ]


def test_a_payment_held_for_a_quick_check_counts_on_the_dashboard_the_pay_form_and_reminder(
    borrower, client, linked_loan, add_card, pay
):
    with time_machine.travel(NOW, tick=False):
        held = _held(linked_loan, borrower, add_card, pay, "483.32")
    later = NOW + dt.timedelta(hours=2)  # past the 10-minute duplicate window
    with time_machine.travel(later, tick=False):
        way = on_the_way([linked_loan], today=dt.date(2026, 12, 1))[linked_loan.pk]
        client.force_login(borrower)
        page = client.get("/loans/").content.decode()
        with pytest.raises(DuplicateSuspected) as asked:
            payment_submit(
                loan_id=linked_loan.pk,
                method=held.method,
                amount=Decimal("483.32"),
                idempotency_key=new_idempotency_key(),
                payer=borrower,
                payer_email=borrower.email,
                now=timezone.now(),
            )
    message = "$483.32 held for a quick check (nothing charged yet) — nothing more to pay"
    assert (way.covered, way.message) == (Decimal("483.32"), message)
    assert message in page
    assert held.reference in page
    assert f'href="/payments/pay/{linked_loan.pk}/"' not in page
    assert str(asked.value) == (
        "A payment of $483.32 is held for a quick check for this due date. "
        "Is this a second payment?"
    )
    [(subject, body)] = _reminders(dt.date(2026, 12, 2))
    assert subject == "Your payment of $483.32 is held for a quick check"
    assert "covers the $483.32 due Saturday, December 5, 2026: nothing more to pay" in body
