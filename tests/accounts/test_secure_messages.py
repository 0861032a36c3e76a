"""Issue 14, secure messages: threads with support, answered in the admin (audited), an email
that never carries the content, a notice in the centre, and nobody else's threads."""

import pytest
from django.core import mail
from factories import UserFactory

from accounts.inbox import NEW_MESSAGE_SUBJECT, thread_answer_by_staff, thread_start
from accounts.models import AuditEvent, SupportThread
from payments.models import Notice

pytestmark = pytest.mark.django_db


def test_borrower_sends_a_message_about_a_loan(borrower_client, borrower, linked_loan):
    response = borrower_client.post(
        "/account/messages/new/",
        {"topic": "fees", "loan": linked_loan.pk, "payment": "", "body": "Why a $25 fee?"},
    )
    thread = SupportThread.objects.get()
    assert response.status_code == 302
    assert (thread.user, thread.topic, thread.loan) == (borrower, "fees", linked_loan)
    assert list(thread.messages.values_list("body", flat=True)) == ["Why a $25 fee?"]


def test_a_loan_the_borrower_cannot_see_is_refused(borrower_client):
    from factories import LoanFactory

    other_loan = LoanFactory()
    response = borrower_client.post(
        "/account/messages/new/", {"topic": "fees", "loan": other_loan.pk, "body": "Hi"}
    )
    assert response.status_code == 400
    assert SupportThread.objects.count() == 0


def test_staff_answer_is_audited_emailed_without_content_and_listed(borrower_client, borrower):
    thread = thread_start(user=borrower, topic="payments", body="Where is my refund?")
    agent = UserFactory(is_staff=True)
    thread_answer_by_staff(thread=thread, staff=agent, body="SECRET-REPLY sent on Monday")
    assert [m.subject for m in mail.outbox] == [NEW_MESSAGE_SUBJECT]
    assert "SECRET-REPLY" not in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="message.answer", actor=agent).count() == 1
    notice = Notice.objects.get(kind="message_new")
    assert notice.user == borrower
    html = borrower_client.get("/account/messages/").content.decode()
    assert "New reply" in html
    page = borrower_client.get(f"/account/messages/{thread.pk}/").content.decode()
    assert "SECRET-REPLY sent on Monday" in page
    assert "New reply" not in borrower_client.get("/account/messages/").content.decode()


def test_support_agent_answers_in_the_admin(borrower):
    from staff_helpers import make_staff, staff_client

    from accounts.roles import SUPPORT_AGENT, staff_roles_sync

    thread = thread_start(user=borrower, topic="payments", body="Hello")
    from django.apps import apps

    staff_roles_sync(apps)  # what `manage.py sync_staff_roles` does after this migration
    client = staff_client(make_staff(SUPPORT_AGENT))
    url = f"/admin/accounts/supportthread/{thread.pk}/change/"
    client.post(
        url,
        {
            "reply": "We can help.",
            "messages-TOTAL_FORMS": "1",
            "messages-INITIAL_FORMS": "1",
            "messages-MIN_NUM_FORMS": "0",
            "messages-MAX_NUM_FORMS": "1000",
            "messages-0-id": thread.messages.get().pk,
            "messages-0-thread": thread.pk,
        },
    )
    assert list(thread.messages.values_list("from_staff", "body")) == [
        (False, "Hello"),
        (True, "We can help."),
    ]


def test_another_borrowers_thread_is_not_found(borrower_client):
    theirs = thread_start(user=UserFactory(), topic="other", body="private")
    assert borrower_client.get(f"/account/messages/{theirs.pk}/").status_code == 404
    assert borrower_client.post(f"/account/messages/{theirs.pk}/", {"body": "x"}).status_code == 404
    assert "private" not in borrower_client.get("/account/messages/").content.decode()


def test_contact_link_opens_a_new_message_not_a_mailto(borrower_client):
    html = borrower_client.get("/account/messages/").content.decode()
    assert 'href="/account/messages/new/">Contact support' in html
    assert "mailto:" not in html


def test_the_header_badge_counts_what_the_lists_call_unread(borrower):
    """unread_counts is one written-out statement (it runs on every page); the threads list and
    the notice centre use the ORM. Both must call the same threads and notices unread."""
    import datetime as dt

    from django.utils import timezone

    from accounts.inbox import notices_for_user, threads_for_user, unread_counts

    agent = UserFactory(is_staff=True)
    thread_start(user=borrower, topic="fees", body="No answer yet")  # no staff reply: read
    answered = thread_start(user=borrower, topic="payments", body="Where is my refund?")
    thread_answer_by_staff(thread=answered, staff=agent, body="On its way")
    read = thread_start(user=borrower, topic="autopay", body="Autopay?")
    thread_answer_by_staff(thread=read, staff=agent, body="It is on")
    SupportThread.objects.filter(pk=read.pk).update(
        user_read_at=timezone.now() + dt.timedelta(seconds=1)
    )
    someone_else = thread_start(user=UserFactory(), topic="fees", body="Mine")
    thread_answer_by_staff(thread=someone_else, staff=agent, body="Answer")
    first = notices_for_user(borrower).last()
    Notice.objects.filter(pk=first.pk).update(read_at=timezone.now())

    counts = unread_counts(borrower)

    assert counts == {
        "notices": notices_for_user(borrower).filter(read_at__isnull=True).count(),
        "messages": threads_for_user(borrower).filter(unread=True).count(),
    }
    assert counts == {"notices": 1, "messages": 1}  # two "new reply" notices, one opened


def test_a_staff_reply_after_the_borrower_read_the_thread_counts_as_unread_again(borrower):
    """The header badge's written-out statement and the threads list agree on the third case
    the test above does not build: a thread opened, then answered again by staff."""
    import datetime as dt

    from django.utils import timezone

    from accounts.inbox import threads_for_user, unread_counts

    agent = UserFactory(is_staff=True)
    thread = thread_start(user=borrower, topic="payments", body="Where is my refund?")
    thread_answer_by_staff(thread=thread, staff=agent, body="On its way")
    opened = timezone.now() - dt.timedelta(minutes=1)  # read before the second answer
    SupportThread.objects.filter(pk=thread.pk).update(user_read_at=opened)
    thread.messages.update(created_at=opened - dt.timedelta(minutes=1))
    thread_answer_by_staff(thread=thread, staff=agent, body="Sent today")

    counts = unread_counts(borrower)

    assert counts["messages"] == threads_for_user(borrower).filter(unread=True).count() == 1
