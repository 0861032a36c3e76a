"""Emails to borrowers, each sent at most once per dedupe key (Notice rows)."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from loans.models import LoanLink
from loans.permissions import OWNER_ROLES

from .declines import reason_for
from .models import Notice, Payment

logger = logging.getLogger("ismartpay.notices")

PAYMENT_SUBJECTS = {
    "received": "We received your payment of ${amount}",
    "scheduled": "Your payment of ${amount} is scheduled",
    "failed": "Your payment of ${amount} didn't go through",
    "returned": "Your bank returned your payment of ${amount}",
    "held": "Your payment of ${amount} is being checked",
    "rejected": "Your payment of ${amount} was not processed",
    "cancelled": "Your payment of ${amount} was cancelled",
    "refunded": "We refunded money from your payment of ${amount}",
}


def notice_send(
    *, kind: str, dedupe_key: str, to: str, subject: str, template: str, context: dict
) -> bool:
    """Claim the notice, then send it. False when it was already claimed (sent or in flight)."""
    body = render_to_string(template, {**context, "site_url": settings.SITE_URL})
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                kind=kind, dedupe_key=dedupe_key, recipient=to, subject=subject, body=body
            )
    except IntegrityError:
        return False
    return _deliver(notice)


def _deliver(notice: Notice) -> bool:
    Notice.objects.filter(pk=notice.pk).update(attempts=notice.attempts + 1)
    send_mail(notice.subject, notice.body, None, [notice.recipient])
    Notice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
    return True


def notices_retry_unsent(*, older_than_minutes: int = 10, max_attempts: int = 5) -> int:
    """Sweep: resend claimed notices whose sender died before marking them sent."""
    cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
    sent = 0
    for notice in Notice.objects.filter(
        sent_at__isnull=True, created_at__lt=cutoff, attempts__lt=max_attempts
    ):
        try:
            sent += _deliver(notice)
        except Exception:
            logger.exception("notice %s still failing", notice.dedupe_key)
    return sent


def _receipt_path(payment: Payment) -> str:
    if payment.source == Payment.Source.GUEST:  # no account: a signed link to the receipt
        from .views.guest import guest_receipt_url

        return guest_receipt_url(payment.reference)
    return reverse("payments:detail", args=[payment.reference])


def payment_notice(payment_id: int, kind: str) -> bool:
    if kind in OWNER_SUBJECTS:
        return payment_owner_notices(payment_id, kind)
    payment = Payment.objects.select_related("loan__lender").get(pk=payment_id)
    code = payment.decline_code or payment.return_code
    return notice_send(
        kind=f"payment_{kind}",
        dedupe_key=f"payment:{payment.pk}:{kind}",
        to=payment.payer_email,
        subject=PAYMENT_SUBJECTS[kind].replace("{amount}", f"{payment.amount:,}"),
        template=f"payments/email/payment_{kind}.txt",
        context={
            "payment": payment,
            "loan": payment.loan,
            "reason": reason_for(code) if code else None,
            "receipt_path": _receipt_path(payment),
        },
    )


# A third party (loans.permissions.is_third_party) paid or cancelled: the loan's owners are told.
OWNER_SUBJECTS = {
    "third_party_paid": "{name} made a payment of ${amount} on your loan",
    "third_party_cancelled": "{name} cancelled a payment of ${amount} on your loan",
}


def payment_owner_notices(payment_id: int, kind: str) -> bool:
    """Email each owner of the payment's loan (borrower, co-borrower) what the third party who
    made the payment did with it: one notice per owner, each claimed once by its key
    (`payment:<id>:<kind>:owner:<user id>`), so a retried task sends only the ones missing."""
    payment = Payment.objects.select_related("loan__lender", "payer").get(pk=payment_id)
    name = payment.payer.get_full_name() if payment.payer else payment.payer_email
    subject = (
        OWNER_SUBJECTS[kind].replace("{name}", name).replace("{amount}", f"{payment.amount:,}")
    )
    owners = LoanLink.objects.filter(loan_id=payment.loan_id, role__in=OWNER_ROLES).select_related(
        "user"
    )
    sent = False
    for link in owners.order_by("pk"):
        sent |= notice_send(
            kind=f"payment_{kind}",
            dedupe_key=f"payment:{payment.pk}:{kind}:owner:{link.user_id}",
            to=link.user.email,
            subject=subject,
            template=f"payments/email/payment_{kind}.txt",
            context={
                "payment": payment,
                "loan": payment.loan,
                "payer_name": name,
                "receipt_path": _receipt_path(payment),
                "sharing_path": reverse("loan_sharing", args=[payment.loan_id]),
            },
        )
    return sent


def payment_notice_queue(payment: Payment, kind: str) -> None:
    """Owe the payer the `kind` email about `payment` (for an OWNER_SUBJECTS kind: the loan's
    owners). Call it inside the transaction that changed the payment, so the notice exists
    exactly when the change does."""
    from .tasks import send_payment_notice

    send_payment_notice.delay_on_commit(payment.pk, kind)
