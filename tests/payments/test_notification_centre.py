"""Issue 14, notification centre: every notice sent to a user is listed for that user only,
with an unread badge; the preferences decide which reminders go; receipts always go."""

import datetime as dt

import pytest
from django.core import mail
from factories import UserFactory

from accounts.models import Profile
from payments import jobs
from payments.models import Notice
from payments.notifications import notice_send

pytestmark = pytest.mark.django_db


def _notice(user, n: int, **extra) -> Notice:
    notice_send(
        kind="reminder_due",
        dedupe_key=f"test:{user.pk}:{n}",
        to=user.email.upper(),  # an address is matched to its user whatever the case
        subject=f"Notice {n}",
        template="accounts/email/message_new.txt",
        context={"url": "/x"},
        **extra,
    )
    return Notice.objects.get(dedupe_key=f"test:{user.pk}:{n}")


def test_notice_send_links_the_notice_to_the_user_of_the_address(borrower):
    assert _notice(borrower, 1).user_id == borrower.pk


def test_a_payment_receipt_is_linked_to_the_payer(borrower, linked_loan, add_card, pay):
    payment = pay(linked_loan, add_card("4242424242424242"), "100.00", payer=borrower)
    receipt = Notice.objects.get(payment=payment, kind="payment_received")
    assert (receipt.user_id, receipt.recipient) == (borrower.pk, borrower.email)


def test_list_is_newest_first_paginated_and_shows_the_unread_badge(borrower_client, borrower):
    for n in range(1, 23):
        _notice(borrower, n)
    html = borrower_client.get("/account/notices/").content.decode()
    assert html.index("Notice 22") < html.index("Notice 3")
    assert "Notice 2<" not in html  # page 2 holds the two oldest
    assert "Page 1 of 2" in html
    assert 'class="badge badge--info">22</span>' in html
    page2 = borrower_client.get("/account/notices/?page=2").content.decode()
    assert "Notice 1<" in page2 and "Notice 2<" in page2


def test_opening_a_notice_marks_it_read_and_lowers_the_badge(borrower_client, borrower):
    first, second = _notice(borrower, 1), _notice(borrower, 2)
    response = borrower_client.get(f"/account/notices/{first.pk}/")
    assert response.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    html = borrower_client.get("/account/notices/").content.decode()
    assert 'class="badge badge--info">1</span>' in html


def test_another_persons_notice_is_not_found_and_not_listed(borrower_client):
    other = UserFactory()
    theirs = _notice(other, 1)
    assert borrower_client.get(f"/account/notices/{theirs.pk}/").status_code == 404
    assert "Notice 1" not in borrower_client.get("/account/notices/").content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


# --- preferences gate what is sent ------------------------------------------------------------
def _reminder_kinds(borrower, on):
    mail.outbox.clear()
    jobs.send_reminders(on=on)
    return sorted(Notice.objects.filter(user=borrower).values_list("kind", flat=True))


def test_reminder_goes_three_days_before_by_default(borrower, linked_loan):
    # Next due Dec 5, 2026: Dec 2 is 3 days before.
    assert _reminder_kinds(borrower, dt.date(2026, 11, 30)) == []
    assert _reminder_kinds(borrower, dt.date(2026, 12, 2)) == ["reminder_due"]
    assert [m.to for m in mail.outbox] == [[borrower.email]]


def test_remind_days_before_moves_the_reminder(borrower, linked_loan):
    Profile.objects.update_or_create(user=borrower, defaults={"remind_days_before": 5})
    assert _reminder_kinds(borrower, dt.date(2026, 11, 29)) == []
    assert _reminder_kinds(borrower, dt.date(2026, 11, 30)) == ["reminder_due"]


def test_turning_off_email_reminders_sends_none(borrower, linked_loan):
    Profile.objects.update_or_create(user=borrower, defaults={"remind_by_email": False})
    assert _reminder_kinds(borrower, dt.date(2026, 12, 2)) == []
    assert mail.outbox == []


def test_receipts_go_even_with_reminders_off(borrower, linked_loan, add_card, pay):
    Profile.objects.update_or_create(user=borrower, defaults={"remind_by_email": False})
    pay(linked_loan, add_card("4242424242424242"), "100.00", payer=borrower)
    assert list(Notice.objects.filter(user=borrower).values_list("kind", flat=True)) == [
        "payment_received"
    ]


def test_failure_notices_go_even_with_reminders_off(borrower, linked_loan, add_card, pay):
    Profile.objects.update_or_create(user=borrower, defaults={"remind_by_email": False})
    pay(linked_loan, add_card("4000000000000002"), "100.00", payer=borrower)
    assert list(Notice.objects.filter(user=borrower).values_list("kind", flat=True)) == [
        "payment_failed"
    ]
