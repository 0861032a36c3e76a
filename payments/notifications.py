"""Emails to borrowers, each sent once: an outbox of Notice rows.

A payment's notice is written in the very transaction that changed the payment
(`payment_notice_queue`): it exists exactly when the change does. After commit it is handed
to the broker, boundedly and without ever failing the request; the task that the broker
delivers, or the one-minute sweep (`notices_retry_unsent`) when the broker was down, claims
the row by a conditional update (one winner, whatever races) and sends it. A payment notice is
rendered at its first claim, from the payment as it is then, and a retry sends that same text.
Full write-up: docs/reliability.md, "Broker or cache down".
"""

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from kombu.exceptions import LimitExceeded
from kombu.exceptions import OperationalError as BrokerUnreachable
from kombu.pools import producers

from ismartpay.core.bulk import insert_rows
from loans.models import LoanLink
from loans.permissions import OWNER_ROLES

from .models import Notice, Payment
from .payment_emails import OWNER_SUBJECTS, THIRD_PARTY_KINDS, payment_email

logger = logging.getLogger("ismartpay.notices")

# A claim older than this belongs to a sender that died or failed: the sweep may take it
# again. Longer than one send can last (settings.EMAIL_TIMEOUT, 30 s).
CLAIM_LEASE_MINUTES = 2
MAX_ATTEMPTS = 5  # claims per notice; after the last failure it waits for staff (admin)
SWEEP_BATCH = 500  # notices per sweep run, so one run stays well inside its minute
# Handing a notice to the broker must not hold the borrower's page: no publish retry, no
# connection retry, and on Redis 1 s socket timeouts (a refused connection fails in
# milliseconds). The embedded SQLite broker (bin/run) has no sockets: its transport hands its
# options to SQLAlchemy's create_engine, which refused the socket ones (TypeError), so every
# notice waited a minute for the sweep there.
BROKER_HANDOFF_OPTIONS = {"max_retries": 0}
REDIS_HANDOFF_OPTIONS = {**BROKER_HANDOFF_OPTIONS, "socket_connect_timeout": 1, "socket_timeout": 1}


def handoff_options(broker_url: str) -> dict:
    """The bounded publish's transport options for the broker at `broker_url`."""
    if broker_url.split(":", 1)[0] in {"redis", "rediss"}:
        return REDIS_HANDOFF_OPTIONS
    return BROKER_HANDOFF_OPTIONS


# --- one send, for a row already claimed ------------------------------------------------------
def _send_claimed(notice: Notice, *, max_attempts: int = MAX_ATTEMPTS) -> None:
    """Render (payment notices, first claim only), send, mark sent. A failure is recorded on
    the row and raised; the claim stays, so the sweep tries again after the lease."""
    try:
        if not notice.body and notice.payment_id is not None:
            notice.subject, notice.body = payment_email(notice.payment, notice.kind, notice.user_id)
            Notice.objects.filter(pk=notice.pk).update(subject=notice.subject, body=notice.body)
        send_mail(notice.subject, notice.body, None, [notice.recipient])
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:200]
        Notice.objects.filter(pk=notice.pk).update(last_error=error)
        if notice.attempts >= max_attempts:
            logger.error("notice %s not sent after %s tries: %s", notice, notice.attempts, error)
        else:
            logger.warning("notice %s not sent (try %s): %s", notice, notice.attempts, error)
        raise
    Notice.objects.filter(pk=notice.pk).update(sent_at=timezone.now(), last_error="")


def _claim(notice_id: int, *, stale_before: dt.datetime, max_attempts: int) -> bool:
    """Take the notice for one send: True for exactly one of any number of racing senders."""
    return bool(
        Notice.objects.filter(pk=notice_id, sent_at__isnull=True, attempts__lt=max_attempts)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=stale_before))
        .update(claimed_at=timezone.now(), attempts=F("attempts") + 1)
    )


def _deliver(
    notice_id: int, *, lease_minutes: int = CLAIM_LEASE_MINUTES, max_attempts: int = MAX_ATTEMPTS
) -> bool:
    """Claim and send one outbox row. False when it was sent, is held by another sender, has
    no tries left, or this send failed (recorded on the row and logged)."""
    stale_before = timezone.now() - dt.timedelta(minutes=lease_minutes)
    if not _claim(notice_id, stale_before=stale_before, max_attempts=max_attempts):
        return False
    notice = Notice.objects.select_related("payment__loan__lender").get(pk=notice_id)
    try:
        _send_claimed(notice, max_attempts=max_attempts)
    except Exception:  # recorded and logged by _send_claimed; the sweep retries
        return False
    return True


# --- notices that are not about one payment (autopay, reminders) ------------------------------
def _user_of(address: str):
    """The portal user an address belongs to, or None (a guest payer, an outside address)."""
    from accounts.models import User

    return User.objects.filter(email__iexact=address).first()


def _render(template: str, context: dict) -> str:
    return render_to_string(template, {**context, "site_url": settings.SITE_URL})


def notice_send(
    *,
    kind: str,
    dedupe_key: str,
    to: str,
    subject: str,
    template: str,
    context: dict,
    user=None,
) -> bool:
    """Write the notice claimed by this sender, then send it now. False when it already
    existed (sent, or another sender's). A failed send raises; the sweep retries it.
    `user` (else the user whose address `to` is) sees it in the notification centre."""
    body = _render(template, context)
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                kind=kind,
                dedupe_key=dedupe_key,
                recipient=to,
                user=user or _user_of(to),
                subject=subject,
                body=body,
                claimed_at=timezone.now(),
                attempts=1,
            )
    except IntegrityError:
        return False
    _send_claimed(notice)
    return True


def notices_retry_unsent(
    *,
    older_than_minutes: int = CLAIM_LEASE_MINUTES,
    max_attempts: int = MAX_ATTEMPTS,
    limit: int = SWEEP_BATCH,
) -> int:
    """The sweep (run every minute): deliver every notice still owed — never claimed (the
    broker was down), or claimed more than `older_than_minutes` ago and not sent (the sender
    died or the send failed) — up to `max_attempts` tries each. Returns how many were sent.
    Safe alongside tasks and other sweeps: each row is sent by whoever claims it."""
    stale_before = timezone.now() - dt.timedelta(minutes=older_than_minutes)
    owed = (
        Notice.objects.filter(sent_at__isnull=True, attempts__lt=max_attempts)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=stale_before))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(
        _deliver(pk, lease_minutes=older_than_minutes, max_attempts=max_attempts)
        for pk in list(owed)
    )


# --- a payment's notices: the outbox ----------------------------------------------------------
def _payment_key(payment_id: int, kind: str) -> str:
    return f"payment:{payment_id}:{kind}"


def _recipients_of(
    payment: Payment, kind: str, not_to: int | None = None
) -> list[tuple[str, str, int | None]]:
    """(dedupe key, address, user id) of each notice `kind` owes: the payer (user id None for a
    guest), or for an OWNER_SUBJECTS kind each owner of the loan but `not_to` (who did it) or
    else the payer, who is told as the payer (`payment:<id>:<kind>:owner:<user id>`)."""
    if kind not in OWNER_SUBJECTS:
        return [(_payment_key(payment.pk, kind), payment.payer_email, payment.payer_id)]
    owners = LoanLink.objects.filter(loan_id=payment.loan_id, role__in=OWNER_ROLES)
    if (left_out := not_to or payment.payer_id) is not None:
        owners = owners.exclude(user_id=left_out)
    return [
        (f"{_payment_key(payment.pk, kind)}:owner:{user_id}", email, user_id)
        for user_id, email in owners.order_by("pk").values_list("user_id", "user__email")
    ]


# An automatic payment that took no money is told by the autopay's own email instead
# (autopay/outcomes.py `_email_failure`: why, whether it is tried again, the pay-now link):
# declined, cancelled by the charge gate, rejected by staff after a hold.
TOLD_BY_AUTOPAY = ("failed", "cancelled", "rejected")


def told_by_autopay(payment: Payment, kind: str) -> bool:
    """Whether the plain `kind` notice of `payment` is left to the autopay's email: two emails
    for one decline, the plain one's "pay now" reading as if no retry followed ("cancelled"
    and "rejected": the attacker review of 31a85ff). An autopay
    payment cancelled because its debit is skipped (the plan paused or ended, the loan paid
    off) is told by that change's own email."""
    return kind in TOLD_BY_AUTOPAY and payment.source == Payment.Source.AUTOPAY


def _write_payment_notice(payment: Payment, kind: str, not_to: int | None = None) -> None:
    if told_by_autopay(payment, kind):
        return
    # ON CONFLICT DO NOTHING: a notice owed twice is one row, and the caller's transaction
    # is never broken by a unique violation.
    recipients = _recipients_of(payment, kind, not_to)
    first = not Notice.objects.filter(dedupe_key__in=[key for key, _, _ in recipients]).exists()
    Notice.objects.bulk_create(
        [
            Notice(
                kind=f"payment_{kind}",
                dedupe_key=key,
                recipient=to,
                payment=payment,
                user_id=user_id if user_id is not None else getattr(_user_of(to), "pk", None),
            )
            for key, to, user_id in recipients
        ],
        ignore_conflicts=True,
    )
    if kind in THIRD_PARTY_KINDS and first:  # a third party acted: on each owner's activity
        _third_party_activity(payment, kind, [user_id for _, _, user_id in recipients])


def _third_party_activity(payment: Payment, kind: str, owner_ids: list[int]) -> None:
    from accounts.activity import activity_record
    from accounts.models import AccountEvent, User

    name = payment.payer.get_full_name() if payment.payer else payment.payer_email
    verb = "paid" if kind == "third_party_paid" else "cancelled a payment of"
    detail = f"{name} {verb} ${payment.amount:,} on loan {payment.loan.loan_number}"
    for owner in User.objects.filter(pk__in=owner_ids).order_by("pk"):
        activity_record(user=owner, kind=AccountEvent.Kind.THIRD_PARTY_ACTION, detail=detail)


def payment_notice_queue(payment: Payment, kind: str, *, not_to: int | None = None) -> None:
    """Owe the payer the `kind` email about `payment` (for an OWNER_SUBJECTS kind: each of the
    loan's owners). Call it inside the transaction that changed the payment: the outbox rows
    commit or roll back with the change. After commit they are handed to the broker; if the
    broker is down, the sweep delivers them."""
    if told_by_autopay(payment, kind):
        return
    _write_payment_notice(payment, kind, not_to)
    transaction.on_commit(partial(_hand_to_broker, payment.pk, kind), robust=True)


def payment_notices_queue(items: list[tuple[Payment, str]]) -> None:
    """`payment_notice_queue` for a chunk of payments (the autopay batch): the payers' outbox
    rows in one INSERT, and after commit one delivery task for the chunk, which sends each
    (`send_payment_notices`). Kinds addressed to the loan's owners take the one-by-one path."""
    rows, items = [], [(p, kind) for p, kind in items if not told_by_autopay(p, kind)]
    for payment, kind in items:
        if kind in OWNER_SUBJECTS or payment.payer_id is None:
            _write_payment_notice(payment, kind)
            continue
        rows.append(
            Notice(
                kind=f"payment_{kind}",
                dedupe_key=_payment_key(payment.pk, kind),
                recipient=payment.payer_email,
                payment=payment,
                user_id=payment.payer_id,
            )
        )
    insert_rows(Notice, rows, ignore_conflicts=True)  # a notice already owed stays as it is
    pairs = [(payment.pk, kind) for payment, kind in items]
    if pairs:
        transaction.on_commit(partial(_hand_many_to_broker, pairs), robust=True)


def _hand_to_broker(payment_id: int, kind: str) -> None:
    """Publish the delivery task, boundedly; never raise into the request that committed."""
    from .tasks import send_payment_notice

    _publish(send_payment_notice, (payment_id, kind), _payment_key(payment_id, kind))


def _hand_many_to_broker(pairs: list[tuple[int, str]]) -> None:
    from .tasks import send_payment_notices

    _publish(send_payment_notices, (pairs,), f"{len(pairs)} notices from payment {pairs[0][0]}")


def _publish(task, args: tuple, key: str) -> None:
    try:
        # A pool of its own (kombu keys pools by URL and options): connections are reused,
        # and every one of them carries the bounded options above.
        options = handoff_options(task.app.conf.broker_url or "")
        bounded = task.app.connection_for_write(transport_options=options)
        with producers[bounded].acquire(block=True, timeout=1) as producer:
            task.apply_async(args, producer=producer, retry=False)
    except BrokerUnreachable as exc:
        logger.warning(
            "broker unreachable: notice %s waits for the sweep (%s)", key, type(exc).__name__
        )
    except LimitExceeded:  # every pooled connection busy for 1 s in this process
        logger.warning("broker connections busy: notice %s waits for the sweep", key)
    except Exception:
        logger.exception("notice %s not handed to the broker; it waits for the sweep", key)


def payment_notice(payment_id: int, kind: str) -> bool:
    """The delivery task's body: send the payment's `kind` notices (one per recipient) that
    nobody has sent. True when this call sent at least one."""
    key = _payment_key(payment_id, kind)
    rows = Notice.objects.filter(Q(dedupe_key=key) | Q(dedupe_key__startswith=f"{key}:owner:"))
    ids = list(rows.values_list("pk", flat=True))
    if not ids:  # queued before the outbox existed: write the rows now
        _write_payment_notice(Payment.objects.get(pk=payment_id), kind)
        ids = list(rows.values_list("pk", flat=True))
    sent = [_deliver(notice_id) for notice_id in ids]
    return any(sent)
