"""Payments scheduled after the due date, from the attacker review helper-78 (of d8810ec):
each test failed before its fix. The pay form's question and the due reminder's pay-by line."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from payments import jobs
from payments.errors import DuplicateSuspected

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # Tue Dec 1, 10 AM in New York
CANCEL = "(or ask whoever scheduled it to) so it is not charged as well."


def _reminders(on: dt.date) -> list[tuple[str, str]]:
    mail.outbox.clear()
    jobs.send_reminders(on=on)
    return [(m.subject, m.body) for m in mail.outbox]


def _loan_for(user, **facts):
    from factories import LoanFactory, LoanLinkFactory

    loan = LoanFactory(ten_paid=True, **facts)
    LoanLinkFactory(user=user, loan=loan)
    return loan


def _asked(pay, loan, card, borrower, at: dt.datetime) -> str:
    with time_machine.travel(at, tick=False), pytest.raises(DuplicateSuspected) as asked:
        pay(loan, card, "483.32", payer=borrower, confirm_duplicate=False)
    return str(asked.value)


def test_paying_the_whole_amount_again_names_the_payment_after_the_due_date_too(
    borrower, linked_loan, add_card, pay
):
    """$200.00 on Dec 3 and $483.32 on Dec 8 (due Dec 5): paying $483.32 asked only about the
    Dec 3 one; answering yes let the Dec 8 one be charged as well, never named (MEDIUM)."""
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        pay(linked_loan, card, "200.00", payer=borrower, scheduled_for=dt.date(2026, 12, 3))
        pay(linked_loan, card, "483.32", payer=borrower, scheduled_for=dt.date(2026, 12, 8))
    assert _asked(pay, linked_loan, card, borrower, NOW + dt.timedelta(hours=2)) == (
        "A payment of $200.00 is scheduled for Dec 3 for this due date, and a payment of "
        "$483.32 is scheduled for Dec 8, after the Dec 5 due date. Is this a second payment? "
        f"If you pay now, cancel that one {CANCEL}"
    )


def test_the_due_reminder_never_says_to_pay_by_a_day_already_past(borrower, add_card, pay):
    """Due Sunday Dec 6, reminded 1 day before (Saturday Dec 5): it said "pay by Friday,
    December 4", the day before the email was sent."""
    from accounts.models import Profile

    Profile.objects.create(user=borrower, remind_days_before=1)
    loan = _loan_for(borrower, first_due_date=dt.date(2026, 2, 6), due_day=6)
    with time_machine.travel(NOW, tick=False):
        card = add_card("4242424242424242")
        pay(loan, card, "483.32", payer=borrower, scheduled_for=dt.date(2026, 12, 9))
    [(subject, body)] = _reminders(dt.date(2026, 12, 5))
    assert subject == "Your payment of $483.32 is due Dec 6"
    assert (
        "A payment made now counts after the due date too: pay as soon as you can, and cancel "
        f"that payment {CANCEL}" in body
    )


def test_the_pay_by_cut_off_is_in_the_lenders_own_time_zone(borrower, linked_loan, add_card, pay):
    """A lender in Puerto Rico with a 5:00 PM cut-off: 4:00 PM Eastern in December. The
    reminder said "before 5:00 PM ET" (LOW)."""
    lender = linked_loan.lender
    lender.timezone = "America/Puerto_Rico"
    lender.save(update_fields=["timezone"])
    with time_machine.travel(NOW, tick=False):
        card = add_card("4242424242424242")
        pay(linked_loan, card, "483.32", payer=borrower, scheduled_for=dt.date(2026, 12, 8))
    [(_subject, body)] = _reminders(dt.date(2026, 12, 2))
    assert "To pay on time, pay by Friday, December 4, before 5:00 PM AST, and cancel" in body


def test_a_past_due_loan_is_not_told_today_is_its_due_date(borrower, linked_loan, add_card, pay):
    """Dec 5 unpaid on Wed Dec 9, $483.32 scheduled for Dec 11: the question said "after the
    Dec 9 due date" (LOW)."""
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        pay(linked_loan, card, "483.32", payer=borrower, scheduled_for=dt.date(2026, 12, 11))
    dec_9 = dt.datetime(2026, 12, 9, 15, 0, tzinfo=dt.UTC)
    assert _asked(pay, linked_loan, card, borrower, dec_9) == (
        "A payment of $483.32 is scheduled for Dec 11, while the Dec 5 payment is past due. "
        f"Is this a second payment? If you pay now, cancel that one {CANCEL}"
    )


def test_a_late_payment_nearer_a_month_end_due_date_than_the_next_one_is_asked_about(
    borrower, add_card, pay
):
    """Due day 31: Feb 28 2027 is followed by Mar 31. Mar 15 is 15 days after Feb 28 and 16
    before Mar 31, but "a month later" was taken as Mar 28 (LOW)."""
    loan = _loan_for(borrower, first_due_date=dt.date(2026, 4, 30), due_day=31)
    card = add_card("4242424242424242")
    feb_22 = dt.datetime(2027, 2, 22, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(feb_22, tick=False):
        pay(loan, card, "483.32", payer=borrower, scheduled_for=dt.date(2027, 3, 15))
    assert "scheduled for Mar 15, after the Feb 28 due date" in _asked(
        pay, loan, card, borrower, feb_22 + dt.timedelta(hours=2)
    )


def test_an_owner_is_told_to_ask_a_third_party_to_cancel_their_payment(
    borrower, linked_loan, add_card, pay
):
    """An invited payer schedules $483.32 for Dec 8; an owner cannot cancel a third party's
    payment (loans.permissions.can_cancel_payment), and was told to (LOW)."""
    from factories import LoanLinkFactory, UserFactory

    from loans.models import LoanLink

    helper = UserFactory()
    LoanLinkFactory(user=helper, loan=linked_loan, role=LoanLink.Role.PAYER)
    with time_machine.travel(NOW, tick=False):
        card = add_card("4242424242424242", owner=helper)
        theirs = pay(linked_loan, card, "483.32", payer=helper, scheduled_for=dt.date(2026, 12, 8))
    [(_subject, body)] = _reminders(dt.date(2026, 12, 2))
    assert theirs.reference in body
    assert f"and cancel that payment {CANCEL}" in body


def test_a_guest_is_asked_about_a_second_payment_without_the_owners_payments_named(
    borrower, linked_loan, add_card, pay
):
    """Anyone with the loan number, ZIP and VIN can pay as a guest; the question named the
    owners' scheduled payments, amounts and dates (the re-review helper-79). A guest is asked
    without them; an owner still sees them."""
    from decimal import Decimal

    from payments.services import new_idempotency_key, payment_submit

    with time_machine.travel(NOW, tick=False):
        card = add_card("4242424242424242")
        pay(linked_loan, card, "483.32", payer=borrower, scheduled_for=dt.date(2026, 12, 4))
    later = NOW + dt.timedelta(hours=2)
    with time_machine.travel(later, tick=False), pytest.raises(DuplicateSuspected) as asked:
        payment_submit(
            loan_id=linked_loan.pk,
            method=add_card("5555555555554444", owner=None),
            amount=Decimal("483.32"),
            idempotency_key=new_idempotency_key(),
            payer=None,
            payer_email="stranger@example.net",
        )
    assert str(asked.value) == (
        "A payment is already on the way for this loan's next due date. Is this a second payment?"
    )
    assert "Dec 4" in _asked(pay, linked_loan, card, borrower, later)
