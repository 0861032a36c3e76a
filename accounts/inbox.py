"""The notification centre and secure messages: reads and changes for the borrower's inbox.

Notices are payments.Notice rows (the email outbox) whose `user` is the reader; messages are
SupportThread/SupportMessage. Every read is by the signed-in user: another person's notice or
thread is "not found" (the view answers 404).
"""

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from loans.models import Loan
from payments.models import Notice, Payment
from payments.notifications import notice_send
from payments.selectors import payments_visible_to

from .audit import audit_record
from .models import SupportMessage, SupportThread, User

NEW_MESSAGE_SUBJECT = "You have a new message from iSmartPay support"  # never the content


# --- notices ----------------------------------------------------------------------------------
def notices_for_user(user: User):
    """The user's notices, newest first (the email outbox rows addressed to the user)."""
    return Notice.objects.filter(user=user).order_by("-created_at", "-pk")


def notice_open(*, user: User, notice_id: int) -> Notice | None:
    """The user's notice, marked read the first time it is opened; None for anyone else's."""
    notice = notices_for_user(user).filter(pk=notice_id).first()
    if notice is not None and notice.read_at is None:
        notice.read_at = timezone.now()
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=notice.read_at)
    return notice


# --- messages ---------------------------------------------------------------------------------
def threads_for_user(user: User):
    staff_after_read = SupportMessage.objects.filter(thread=OuterRef("pk"), from_staff=True).filter(
        Q(thread__user_read_at__isnull=True) | Q(created_at__gt=OuterRef("user_read_at"))
    )
    return (
        SupportThread.objects.filter(user=user)
        .select_related("loan", "payment")
        .annotate(unread=Exists(staff_after_read))
    )


def thread_get_for_user(user: User, thread_id: int) -> SupportThread | None:
    return threads_for_user(user).filter(pk=thread_id).first()


def _unread_sql() -> str:
    """The header badge's one statement, written out: it runs on every signed-in page, and the
    ORM's compilation of the same nested Exists/Subquery annotations cost ≈ 4 ms of Python
    per page (issue 15's profile) against ≈ 0.1 ms for a prepared string. Table and column
    names come from the models, so a rename cannot leave it behind."""
    notice, thread, message = Notice._meta, SupportThread._meta, SupportMessage._meta

    def col(meta, name: str) -> str:
        return meta.get_field(name).column

    return (
        f"SELECT (SELECT COUNT(*) FROM {notice.db_table} n"  # noqa: S608 — model names; values are parameters
        f" WHERE n.{col(notice, 'user')} = %s AND n.{col(notice, 'read_at')} IS NULL),"
        f" (SELECT COUNT(*) FROM {thread.db_table} t WHERE t.{col(thread, 'user')} = %s"
        f" AND EXISTS (SELECT 1 FROM {message.db_table} m"
        f" WHERE m.{col(message, 'thread')} = t.{col(thread, 'id')}"
        f" AND m.{col(message, 'from_staff')} = %s"
        f" AND (t.{col(thread, 'user_read_at')} IS NULL"
        f" OR m.{col(message, 'created_at')} > t.{col(thread, 'user_read_at')})))"
    )


UNREAD_SQL = _unread_sql()


def unread_counts(user: User) -> dict[str, int]:
    """For the header badge: unread notices, and threads with a staff reply the user has not
    opened since (the same rule as `threads_for_user`'s `unread`), in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(UNREAD_SQL, [user.pk, user.pk, True])
        notices, messages = cursor.fetchone()
    return {"notices": notices, "messages": messages}


def loans_for_messages(user: User):
    return Loan.objects.filter(links__user=user).order_by("loan_number").distinct()


def payments_for_messages(user: User):
    return payments_visible_to(user).order_by("-created_at")


def thread_start(
    *, user: User, topic: str, body: str, loan: Loan | None = None, payment: Payment | None = None
) -> SupportThread:
    """Open a conversation. `loan` and `payment` must be ones the user may see (the form's
    choices are); a payment names its loan."""
    if loan is not None and not loans_for_messages(user).filter(pk=loan.pk).exists():
        raise PermissionError("loan not visible to user")
    if payment is not None and not payments_visible_to(user).filter(pk=payment.pk).exists():
        raise PermissionError("payment not visible to user")
    now = timezone.now()
    with transaction.atomic():
        thread = SupportThread.objects.create(
            user=user,
            topic=topic,
            loan=loan or (payment.loan if payment else None),
            payment=payment,
            last_message_at=now,
            user_read_at=now,
        )
        SupportMessage.objects.create(thread=thread, author=user, body=body)
    return thread


def thread_reply_by_user(*, thread: SupportThread, user: User, body: str) -> SupportMessage:
    if thread.user_id != user.pk:
        raise PermissionError("not the thread's user")
    now = timezone.now()
    with transaction.atomic():
        message = SupportMessage.objects.create(thread=thread, author=user, body=body)
        SupportThread.objects.filter(pk=thread.pk).update(last_message_at=now, user_read_at=now)
    return message


def thread_mark_read(*, thread: SupportThread) -> None:
    SupportThread.objects.filter(pk=thread.pk).update(user_read_at=timezone.now())


def thread_answer_by_staff(
    *, thread: SupportThread, staff: User, body: str, request=None
) -> SupportMessage:
    """Support answers (admin): the message, an audit record, and a "you have a new message"
    email (never the content) that also lists in the notification centre."""
    with transaction.atomic():
        message = SupportMessage.objects.create(
            thread=thread, author=staff, body=body, from_staff=True
        )
        SupportThread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at)
        audit_record(actor=staff, action="message.answer", target=thread, request=request)
    path = reverse("accounts_message", args=[thread.pk])
    notice_send(
        kind="message_new",
        dedupe_key=f"message:{message.pk}",
        to=thread.user.email,
        user=thread.user,
        subject=NEW_MESSAGE_SUBJECT,
        template="accounts/email/message_new.txt",
        context={"url": settings.SITE_URL + path},
    )
    return message
