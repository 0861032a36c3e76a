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
from payments.upcoming import Incoming, OnTheWay, on_the_way

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
    assert subject == "A payment of $483.32 is scheduled for Dec 2"
    assert body.startswith(
        "A payment of $483.32 on your 2022 Honda Accord "
        f"({linked_loan.loan_number}) will be made today. It covers the $483.32 due Saturday, "
        "December 5, 2026: nothing more to pay."
    )
    assert f"To see or cancel it: http://localhost:8000/payments/p/{scheduled.reference}/" in body
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
    assert [s for s, _ in _reminders()] == ["A payment of $483.32 is scheduled for Dec 4"]
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
            pay(linked_loan, held.method, "483.32", payer=borrower, confirm_duplicate=False)
    message = (
        "$483.32 held for a quick check (nothing charged yet) — if approved, nothing more to pay"
    )
    assert (way.covered, way.message) == (Decimal("483.32"), message)
    assert f'<p class="alert">{message}</p>' in page  # not green: approval is not certain
    assert held.reference in page
    assert f'href="/payments/pay/{linked_loan.pk}/"' not in page
    assert str(asked.value) == (
        "A payment of $483.32 is held for a quick check (nothing charged yet) for this due "
        "date. Is this a second payment?"
    )
    [(subject, body)] = _reminders(dt.date(2026, 12, 2))
    assert subject == "A payment of $483.32 is held for a quick check"
    assert (
        "is held for a quick check before it is made: nothing has been charged yet. It covers "
        "the $483.32 due Saturday, December 5, 2026 if it goes through; if it cannot be made, "
        "that amount is still due then." in body
    )


def test_paying_the_rest_is_not_asked_about_but_paying_the_whole_amount_again_is(
    borrower, linked_loan, add_card, pay
):
    """$200.00 scheduled for Dec 4: the dashboard says $283.32 is left to pay. Paying $283.32
    is not a second payment; paying $483.32 may be. Before, both were asked about (the
    new-user review helper-71)."""
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        pay(linked_loan, card, "200.00", payer=borrower, scheduled_for=dt.date(2026, 12, 4))
        rest = pay(linked_loan, card, "283.32", payer=borrower, confirm_duplicate=False)
        assert rest.status == Payment.Status.POSTED
        with pytest.raises(DuplicateSuspected, match=r"A payment of \$200\.00 is scheduled"):
            pay(linked_loan, card, "483.32", payer=borrower, confirm_duplicate=False)


def test_two_payments_on_the_way_are_each_named_in_their_own_words():
    """Before, several payments were all "scheduled for" the first one's date, held ones
    included (the attacker review helper-70, the new-user review helper-71)."""
    today, due = dt.date(2026, 12, 1), dt.date(2026, 12, 5)
    held = [
        Incoming(today, Decimal("200.00"), False, "P-1", held=True),
        Incoming(today, Decimal("214.00"), False, "P-2", held=True),
    ]
    assert OnTheWay.of(held, Decimal("875.78"), due).message == (
        "$414.00 in 2 payments held for a quick check (nothing charged yet) — $461.78 left to "
        "pay by Dec 5"
    )
    mixed = [
        Incoming(dt.date(2026, 12, 5), Decimal("200.00"), False, "P-3"),
        Incoming(today, Decimal("160.00"), False, "P-4", held=True),
    ]
    assert OnTheWay.of(mixed, Decimal("360.00"), due).message == (
        "$200.00 scheduled for Dec 5 and $160.00 held for a quick check (nothing charged yet) "
        "— if approved, nothing more to pay"
    )


def test_a_guests_held_payment_is_not_on_the_way_for_the_owners(borrower, linked_loan, add_card):
    """Anyone with the loan number, ZIP and VIN can get a guest payment held (five declined
    tries, then one more). Its rejection reaches only the guest, so the owners are not told
    "nothing more to pay" about it: their reminder asks them to pay (the attacker review
    helper-70)."""

    def guest_pays(number: str, amount: str) -> Payment:
        return payment_submit(
            loan_id=linked_loan.pk,
            method=add_card(number, owner=None),
            amount=Decimal(amount),
            idempotency_key=new_idempotency_key(),
            payer=None,
            payer_email="stranger@example.net",
            confirm_duplicate=True,
        )

    with time_machine.travel(NOW, tick=False):
        for i in range(5):
            guest_pays("4000000000000002", f"{10 + i}.00")
        assert guest_pays("4242424242424242", "483.32").status == Payment.Status.HELD
        way = on_the_way([linked_loan], today=dt.date(2026, 12, 1))[linked_loan.pk]
    assert (way.incoming, way.message) == ([], "")
    assert [s for s, _ in _reminders()] == ["Your payment of $483.32 is due Dec 5"]


def test_a_payment_scheduled_after_the_due_date_is_named_in_the_due_reminder(
    borrower, linked_loan, add_card, pay
):
    """$483.32 due Sat Dec 5, a payment scheduled for Tue Dec 8. Before, the reminder was a
    plain "Pay now" that did not mention it: the borrower either paid twice or, thinking the
    reminder a mistake, paid late (the new-user review helper-71, item 8)."""
    with time_machine.travel(NOW, tick=False):
        later = pay(
            linked_loan,
            add_card("4242424242424242"),
            "483.32",
            payer=borrower,
            scheduled_for=dt.date(2026, 12, 8),
        )
    [(subject, body)] = _reminders()
    assert subject == "Your payment of $483.32 is due Dec 5"
    assert (
        "Scheduled after the due date, so it would arrive late:\n"
        f"- $483.32 for Dec 8: http://localhost:8000/payments/p/{later.reference}/\n"
        "To pay on time, pay by Friday, December 4, before 5:00 PM EST, and cancel that "
        "payment (or ask whoever scheduled it to) so it is not charged as well." in body
    )
    assert f"Pay now: http://localhost:8000/payments/pay/{linked_loan.pk}/" in body


DEC_8 = dt.date(2026, 12, 8)


def test_paying_now_with_a_payment_scheduled_after_the_due_date_asks_about_it(
    borrower, linked_loan, add_card, pay
):
    """The reminder says to pay on time and cancel the late one; the pay form let $483.32
    through without naming the Dec 8 $483.32, which was then charged too (the new-user review
    helper-77)."""
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        pay(linked_loan, card, "483.32", payer=borrower, scheduled_for=DEC_8)
    tomorrow = time_machine.travel(NOW + dt.timedelta(days=1), tick=False)
    with tomorrow, pytest.raises(DuplicateSuspected) as asked:
        pay(linked_loan, card, "483.32", payer=borrower, confirm_duplicate=False)
    assert str(asked.value) == (
        "A payment of $483.32 is scheduled for Dec 8, after the Dec 5 due date. Is this a "
        "second payment? If you pay now, cancel that one (or ask whoever scheduled it to) so it "
        "is not charged as well."
    )


def test_a_payment_scheduled_for_next_months_installment_is_not_called_late(
    borrower, linked_loan, add_card, pay
):
    """Jan 4 is for January's installment (due Jan 5), not a late December one: December's
    reminder does not list it, and paying December now is not asked about."""
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        pay(linked_loan, card, "483.32", payer=borrower, scheduled_for=dt.date(2027, 1, 4))
    [(subject, body)] = _reminders()
    assert subject == "Your payment of $483.32 is due Dec 5"
    assert "after the due date" not in body
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):  # past the 10 minutes
        paid = pay(linked_loan, card, "483.32", payer=borrower, confirm_duplicate=False)
    assert paid.status == Payment.Status.POSTED


def test_the_due_reminder_says_to_pay_by_the_business_day_before_a_saturday_due_date(
    borrower, linked_loan, add_card, pay
):
    """Dec 5 is a Saturday: a payment made that day counts Monday Dec 7, after the due date
    (the new-user review helper-77: the reminder said "pay by December 5")."""
    with time_machine.travel(NOW, tick=False):
        pay(
            linked_loan, add_card("4242424242424242"), "483.32", payer=borrower, scheduled_for=DEC_8
        )
    [(_subject, body)] = _reminders()
    assert (
        "To pay on time, pay by Friday, December 4, before 5:00 PM EST, and cancel that "
        "payment (or ask whoever scheduled it to) so it is not charged as well." in body
    )


def test_a_held_payment_dated_after_the_due_date_shows_its_date(
    borrower, linked_loan, add_card, pay
):
    with time_machine.travel(NOW, tick=False):
        five_tries_within_the_hour(
            linked_loan, borrower, add_card("4000000000000002"), before=timezone.now()
        )
        held = pay(
            linked_loan, add_card("4242424242424242"), "483.32", payer=borrower, scheduled_for=DEC_8
        )
    [(_subject, body)] = _reminders()
    assert (
        "- $483.32 for Dec 8, held for a quick check (nothing charged yet): "
        f"http://localhost:8000/payments/p/{held.reference}/" in body
    )


def test_the_on_the_way_heads_up_names_a_second_payment_scheduled_after_the_due_date(
    borrower, linked_loan, add_card, pay
):
    """$483.32 on Dec 3 covers Dec 5; a second $483.32 on Dec 8 (likely a duplicate) went
    unmentioned under "nothing more to pay", and both were charged (helper-77)."""
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        pay(linked_loan, card, "483.32", payer=borrower, scheduled_for=dt.date(2026, 12, 3))
        later = pay(linked_loan, card, "483.32", payer=borrower, scheduled_for=DEC_8)
    [(subject, body)] = _reminders()
    assert subject == "A payment of $483.32 is scheduled for Dec 3"
    assert (
        "Also scheduled, after the due date:\n"
        f"- $483.32 for Dec 8: http://localhost:8000/payments/p/{later.reference}/\n"
        "If it is a second payment, cancel it (or ask whoever scheduled it to) so it is not "
        "charged as well." in body
    )
