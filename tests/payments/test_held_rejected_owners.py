"""A co-borrower's payment held for a quick check counts as on the way for the other owner
too: the dashboard and the reminder tell them "if approved, nothing more to pay"
(payments/upcoming.py). Before, when staff rejected it only its payer was emailed, and the
other owner, who had been told to wait, learnt of it from a late notice."""

import datetime as dt

import pytest
import time_machine
from autopay_fixtures import five_tries_within_the_hour
from django.core import mail
from django.utils import timezone
from factories import UserFactory

from loans.models import LoanLink
from payments.models import Notice, Payment
from payments.services import payment_cancel_scheduled, payment_review_reject

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # Tue Dec 1, 10 AM in New York


@pytest.fixture
def co_borrower(linked_loan):
    co = UserFactory(full_name="Sam Rivera", email="sam@example.com")
    LoanLink.objects.create(loan=linked_loan, user=co, role=LoanLink.Role.CO_BORROWER)
    return co


def _held_by(payer, loan, add_card, pay) -> Payment:
    with time_machine.travel(NOW, tick=False):
        five_tries_within_the_hour(
            loan, payer, add_card("4000000000000002", owner=payer), before=timezone.now()
        )
        held = pay(loan, add_card("4242424242424242", owner=payer), "483.32", payer=payer)
    assert held.status == Payment.Status.HELD
    return held


def _reject(held: Payment, staff, capture, when=NOW + dt.timedelta(hours=3)) -> dict:
    """{address: (subject, body)} of the emails the rejection sends."""
    mail.outbox.clear()
    with time_machine.travel(when, tick=False), capture(execute=True):
        payment_review_reject(payment_id=held.pk, actor=staff, reason="Card reported stolen.")
    return {m.to[0]: (m.subject, m.body) for m in mail.outbox}


def test_a_co_borrowers_held_payment_rejected_tells_the_other_owner_it_was_not_made(
    borrower, co_borrower, linked_loan, add_card, pay, django_capture_on_commit_callbacks
):
    held = _held_by(co_borrower, linked_loan, add_card, pay)
    sent = _reject(held, UserFactory(is_staff=True), django_capture_on_commit_callbacks)

    assert sent["sam@example.com"][0] == "Your payment of $483.32 was not processed"
    subject, body = sent[borrower.email]
    assert subject == "Sam Rivera's payment of $483.32 on your loan was not made"
    assert body.startswith(
        "Sam Rivera, who shares your loan, tried to pay $483.32 on it. We stopped the\n"
        "payment during a security check: nothing was charged.\n"
    )
    assert f"Reference: {held.reference}" in body
    assert (
        "$483.32 is due Saturday, December 5. Please pay it by then:\n"
        f"http://localhost:8000/payments/pay/{linked_loan.pk}/\n"
        "Sam Rivera was told as well: check with them so you don't both pay." in body
    )
    # On the other owner's notices page too, once: a second rejection call sends nothing.
    assert Notice.objects.filter(user=borrower, kind="payment_co_owner_rejected").count() == 1


def test_the_borrowers_own_held_payment_rejected_emails_only_them(
    borrower, linked_loan, add_card, pay, django_capture_on_commit_callbacks
):
    held = _held_by(borrower, linked_loan, add_card, pay)
    sent = _reject(held, UserFactory(is_staff=True), django_capture_on_commit_callbacks)
    assert list(sent) == [borrower.email]
    assert sent[borrower.email][0] == "Your payment of $483.32 was not processed"


def test_the_payer_of_a_rejected_payment_is_not_emailed_twice_as_an_owner(
    borrower, co_borrower, linked_loan, add_card, pay, django_capture_on_commit_callbacks
):
    """The borrower's own held payment, on a loan shared with Sam: Sam is told, the borrower
    only gets their own "not processed" email."""
    held = _held_by(borrower, linked_loan, add_card, pay)
    sent = _reject(held, UserFactory(is_staff=True), django_capture_on_commit_callbacks)
    assert sorted(sent) == sorted([borrower.email, "sam@example.com"])
    assert sent[borrower.email][0] == "Your payment of $483.32 was not processed"
    assert sent["sam@example.com"][0].endswith("'s payment of $483.32 on your loan was not made")


def test_a_rejection_after_the_due_date_says_what_is_past_due_not_to_pay_before_it(
    borrower, co_borrower, linked_loan, add_card, pay, django_capture_on_commit_callbacks
):
    """Rejected on Dec 9, after the Dec 5 due date: "pay it before the due date" had passed
    (the new-user review helper-77)."""
    held = _held_by(co_borrower, linked_loan, add_card, pay)
    dec_9 = dt.datetime(2026, 12, 9, 15, 0, tzinfo=dt.UTC)
    sent = _reject(held, UserFactory(is_staff=True), django_capture_on_commit_callbacks, dec_9)
    _subject, body = sent[borrower.email]
    assert "before the due date" not in body
    assert "$483.32 is past due. Please pay it as soon as you can:\n" in body


def _scheduled_by(payer, loan, add_card, pay) -> Payment:
    with time_machine.travel(NOW, tick=False):
        return pay(
            loan,
            add_card("4242424242424242", owner=payer),
            "483.32",
            payer=payer,
            scheduled_for=dt.date(2026, 12, 4),
        )


def _cancel(payment: Payment, actor, capture) -> dict[str, tuple[str, str]]:
    mail.outbox.clear()
    with time_machine.travel(NOW + dt.timedelta(hours=3), tick=False), capture(execute=True):
        payment_cancel_scheduled(payment_id=payment.pk, actor=actor)
    return {m.to[0]: (m.subject, m.body) for m in mail.outbox}


def test_a_co_borrower_cancelling_their_scheduled_payment_tells_the_other_owner(
    borrower, co_borrower, linked_loan, add_card, pay, django_capture_on_commit_callbacks
):
    """Both owners were told Sam's Dec 4 payment covers the Dec 5 due date ("nothing more to
    pay"). Before, Sam cancelling it told nobody, and the other owner found out from a late
    notice."""
    scheduled = _scheduled_by(co_borrower, linked_loan, add_card, pay)
    sent = _cancel(scheduled, co_borrower, django_capture_on_commit_callbacks)
    assert list(sent) == [borrower.email]
    subject, body = sent[borrower.email]
    assert subject == "Sam Rivera cancelled a payment of $483.32 on your loan"
    assert body.startswith(
        "Sam Rivera, who shares your loan, cancelled the payment of $483.32 scheduled for\n"
        "Friday, December 4. Nothing will be charged for it.\n"
    )
    assert "$483.32 is due Saturday, December 5. Please pay it by then:\n" in body


def test_an_owner_cancelling_the_other_owners_payment_tells_its_payer(
    borrower, co_borrower, linked_loan, add_card, pay, django_capture_on_commit_callbacks
):
    """An owner may cancel a payment the other owner made (loans.permissions). Before, its
    payer was not told and believed it made."""
    scheduled = _scheduled_by(borrower, linked_loan, add_card, pay)
    sent = _cancel(scheduled, co_borrower, django_capture_on_commit_callbacks)
    assert list(sent) == [borrower.email]
    subject, body = sent[borrower.email]
    assert subject == "Sam Rivera cancelled a payment of $483.32 on your loan"
    assert body.startswith(
        "Sam Rivera, who shares your loan, cancelled your payment of $483.32 scheduled for\n"
    )
