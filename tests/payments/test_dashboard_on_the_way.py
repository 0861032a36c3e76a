"""The dashboard shows what is on the way (scheduled payments, the next autopay debit) and the
amount due they cover; the duplicate warning covers them too."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from payments.errors import DuplicateSuspected
from payments.models import Payment
from payments.services import new_idempotency_key, payment_submit
from payments.upcoming import on_the_way

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # Tue Dec 1 in New York; due Dec 5


def _submit(loan, method, amount, payer, *, confirm=True, **extra):
    return payment_submit(
        loan_id=loan.pk,
        method=method,
        amount=Decimal(amount),
        idempotency_key=new_idempotency_key(),
        payer=payer,
        payer_email=payer.email,
        confirm_duplicate=confirm,
        now=timezone.now(),
        **extra,
    )


def test_a_scheduled_payment_of_the_amount_due_shows_as_covered(
    borrower, client, linked_loan, add_card
):
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        scheduled = _submit(
            linked_loan, card, "483.32", borrower, scheduled_for=dt.date(2026, 12, 4)
        )
        assert scheduled.status == Payment.Status.SCHEDULED
        way = on_the_way([linked_loan], today=dt.date(2026, 12, 1))[linked_loan.pk]
        client.force_login(borrower)  # signed in "now": the idle timeout is 30 min
        page = client.get("/loans/").content.decode()
    assert (way.amount_due, way.covered, way.fully_covered) == (
        Decimal("483.32"),
        Decimal("483.32"),
        True,
    )
    assert "$483.32 scheduled for Dec 4 — nothing more to pay" in page
    assert scheduled.reference in page
    assert f'href="/payments/pay/{linked_loan.pk}/"' not in page  # no invitation to pay twice


def test_a_smaller_scheduled_payment_leaves_the_rest_to_pay(
    borrower, client, linked_loan, add_card
):
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        _submit(linked_loan, card, "200.00", borrower, scheduled_for=dt.date(2026, 12, 4))
        client.force_login(borrower)  # signed in "now": the idle timeout is 30 min
        page = client.get("/loans/").content.decode()
    assert "$200.00 scheduled for Dec 4 — $283.32 left to pay by Dec 5" in page


def test_nothing_on_the_way_shows_no_coverage(client, borrower, linked_loan):
    with time_machine.travel(NOW, tick=False):
        client.force_login(borrower)  # signed in "now": the idle timeout is 30 min
        page = client.get("/loans/").content.decode()
        way = on_the_way([linked_loan], today=dt.date(2026, 12, 1))[linked_loan.pk]
    assert (way.incoming, way.covered, way.message) == ([], Decimal("0.00"), "")
    assert "nothing more to pay" not in page


def test_paying_now_with_a_payment_scheduled_for_the_due_date_asks_first(
    borrower, linked_loan, add_card
):
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        _submit(linked_loan, card, "483.32", borrower, scheduled_for=dt.date(2026, 12, 4))
        with pytest.raises(DuplicateSuspected) as refused:
            _submit(linked_loan, card, "100.00", borrower, confirm=False)
    assert str(refused.value) == (
        "A payment of $483.32 is scheduled for Dec 4 for this due date. Is this a second payment?"
    )
    assert Payment.objects.filter(loan=linked_loan).count() == 1  # nothing charged


def test_paying_now_with_autopay_debiting_for_the_due_date_asks_first(
    borrower, linked_loan, add_card
):
    from payments.autopay import schedule as sched
    from payments.autopay.services import autopay_enroll

    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        autopay_enroll(
            user=borrower,
            loan_id=linked_loan.pk,
            method=card,
            terms=sched.PlanTerms(
                schedule="monthly_due", amount_rule="installment", start_date=dt.date(2026, 12, 1)
            ),
            ip_address="203.0.113.9",
            user_agent="pytest",
            now=NOW,
        )
        way = on_the_way([linked_loan], today=dt.date(2026, 12, 1))[linked_loan.pk]
        with pytest.raises(DuplicateSuspected) as refused:
            _submit(linked_loan, card, "483.32", borrower, confirm=False)
    assert way.message == "Autopay will debit $483.32 on Dec 4 — nothing more to pay"
    assert str(refused.value).startswith("Autopay will debit $483.32 on Dec 4")
    assert not Payment.objects.filter(loan=linked_loan).exists()


def test_a_payment_scheduled_minutes_ago_is_called_scheduled_not_made(
    borrower, linked_loan, add_card
):
    # $100 scheduled for Dec 20, then $100 again: the 10-minute question named the first
    # "made on this loan" (seen at 390 px, the third 2026-12-03 session): nothing was charged.
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        _submit(linked_loan, card, "100.00", borrower, scheduled_for=dt.date(2026, 12, 20))
        with pytest.raises(DuplicateSuspected) as asked:
            _submit(linked_loan, card, "100.00", borrower, confirm=False)
    assert str(asked.value) == (
        "A payment of $100.00 was scheduled on this loan in the last 10 minutes, for Dec 20. "
        "Is this a second payment?"
    )


def test_a_payment_made_minutes_ago_is_called_made(borrower, linked_loan, add_card):
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        _submit(linked_loan, card, "100.00", borrower)
        with pytest.raises(DuplicateSuspected) as asked:
            _submit(linked_loan, card, "100.00", borrower, confirm=False)
    assert str(asked.value) == (
        "A payment of $100.00 was made on this loan in the last 10 minutes. "
        "Is this a second payment?"
    )
