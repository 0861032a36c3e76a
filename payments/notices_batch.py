"""Many notices at once — the nightly reminders write and send one batch per chunk of loans:
drafts written in one INSERT … ON CONFLICT DO NOTHING on their dedupe key, then claimed in one
UPDATE … RETURNING (the same rule as notifications.py's one-notice claim) and sent over one
mail connection. The outbox and its sweep are payments/notifications.py."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.mail import EmailMessage, get_connection
from django.db import connection
from django.utils import timezone

from ismartpay.core.arrays import one_of_sql

from .models import Notice
from .notifications import CLAIM_LEASE_MINUTES, MAX_ATTEMPTS, _render

logger = logging.getLogger("ismartpay.notices")


@dataclass(frozen=True)
class Draft:
    """A notice not yet written: what `notice_send` takes, with the recipient's user id."""

    kind: str
    dedupe_key: str
    to: str
    user_id: int | None
    subject: str
    template: str
    context: dict


def notices_write(drafts: list[Draft]) -> list[str]:
    """Write the drafts whose key is new, unclaimed, in one INSERT … ON CONFLICT DO NOTHING
    (a key already written, by this run, an earlier one or a racing one, stays as it is).
    Only new drafts are rendered. Returns every draft's key, for `notices_deliver`."""
    keys = [d.dedupe_key for d in drafts]
    known = set(Notice.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    Notice.objects.bulk_create(
        [
            Notice(
                kind=d.kind,
                dedupe_key=d.dedupe_key,
                recipient=d.to,
                user_id=d.user_id,
                subject=d.subject,
                body=_render(d.template, d.context),
            )
            for d in drafts
            if d.dedupe_key not in known
        ],
        ignore_conflicts=True,
    )
    return keys


_CLAIM_MANY = f"""
    UPDATE {Notice._meta.db_table} SET claimed_at = %s, attempts = attempts + 1
    WHERE {{keys}} AND sent_at IS NULL AND payment_id IS NULL AND attempts < %s
      AND (claimed_at IS NULL OR claimed_at <= %s)
    RETURNING id, recipient, subject, body, attempts"""  # noqa: S608 - our table, values bound


def _claim_many_sql(keys: list[str]) -> tuple[str, list]:
    """The keys as one array on PostgreSQL, a placeholder per key on the embedded SQLite
    database (a chunk's few thousand at most): ismartpay.core.arrays.one_of_sql."""
    where, params = one_of_sql("dedupe_key", list(keys), connection, "text")
    return _CLAIM_MANY.format(keys=where), params


def notices_deliver(keys: list[str], *, max_attempts: int = MAX_ATTEMPTS) -> tuple[int, int]:
    """Claim (one UPDATE … RETURNING: the same rule as `_claim`, for many rows) and send every
    unsent notice among `keys`, over one mail connection; mark the sent ones in one UPDATE.
    A failed send is recorded on its row and left to the sweep. Returns (sent, failed)."""
    if not keys:
        return 0, 0
    now = timezone.now()
    stale_before = now - dt.timedelta(minutes=CLAIM_LEASE_MINUTES)
    sql, key_params = _claim_many_sql(list(keys))
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *key_params, max_attempts, stale_before])
        claimed = cursor.fetchall()
    sent, failed = [], 0
    mailer = get_connection()
    with mailer:
        for pk, to, subject, body, attempts in claimed:
            try:
                EmailMessage(subject, body, None, [to], connection=mailer).send()
            except Exception as exc:
                failed += 1
                error = f"{type(exc).__name__}: {exc}"[:200]
                Notice.objects.filter(pk=pk).update(last_error=error)
                logger.warning("notice %s not sent (try %s): %s", pk, attempts, error)
                continue
            sent.append(pk)
    if sent:
        Notice.objects.filter(pk__in=sent).update(sent_at=timezone.now(), last_error="")
    return len(sent), failed
