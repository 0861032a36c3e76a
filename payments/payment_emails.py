"""What a payment's emails say: subjects, and bodies rendered from the payment and its loan
as they are when first sent (payments/notifications.py keeps the outbox and sends them)."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from .declines import reason_for
from .models import Payment
from .timing import cutoff_words

PAYMENT_SUBJECTS = {
    "received": "We received your payment of ${amount}",
    "scheduled": "Your payment of ${amount} is scheduled",
    "failed": "Your payment of ${amount} didn't go through",
    "returned": "Your bank returned your payment of ${amount}",
    "returned_reopened": "Your payment of ${amount} came back: your loan is open again",
    "held": "Your payment of ${amount} is being checked",
    "rejected": "Your payment of ${amount} was not processed",
    "cancelled": "Your payment of ${amount} was cancelled",
    "refunded": "We refunded money from your payment of ${amount}",
}

# A third party (loans.permissions.is_third_party) paid or cancelled: the loan's owners are told.
# A co-owner's payment staff rejected after a hold, or an owner cancelled: the other owners,
# whom the dashboard and the reminder had told it was on the way (payments/upcoming.py), are
# told it will not be made.
OWNER_SUBJECTS = {
    "third_party_paid": "{name} made a payment of ${amount} on your loan",
    "third_party_cancelled": "{name} cancelled a payment of ${amount} on your loan",
    "co_owner_rejected": "{name}'s payment of ${amount} on your loan was not made",
    "co_owner_cancelled": "{name} cancelled a payment of ${amount} on your loan",
}
THIRD_PARTY_KINDS = ("third_party_paid", "third_party_cancelled")


def _receipt_path(payment: Payment) -> str:
    if payment.source == Payment.Source.GUEST:  # no account: a signed link to the receipt
        from .receipt_links import guest_receipt_url

        return guest_receipt_url(payment.reference)
    return reverse("payments:detail", args=[payment.reference])


def payment_email(payment: Payment, notice_kind: str, to_user_id=None) -> tuple[str, str]:
    """(subject, body) of a payment's `notice_kind` email, rendered from the payment and its
    loan as they are now; `to_user_id`: its recipient (an owner notice may say "your")."""
    kind = notice_kind.removeprefix("payment_")
    code = payment.decline_code or payment.return_code
    context = {
        "payment": payment,
        "loan": payment.loan,
        "reason": reason_for(code) if code else None,
        "receipt_path": _receipt_path(payment),
        "site_url": settings.SITE_URL,
    }
    if kind == "scheduled":  # it can be cancelled until the cut-off on its date (lender's zone)
        context["cancel_until"] = cutoff_words(payment.scheduled_for, payment.loan.lender)
    if kind == "returned_reopened":  # the loan it had paid off is open again
        context.update(_reopened_context(payment.loan))
    if kind in ("co_owner_rejected", "co_owner_cancelled"):  # what is owed when it is sent
        context["summary"] = _summary_now(payment.loan)
    if kind in OWNER_SUBJECTS:  # to the loan's owners, about what a third party did
        name = payment.payer.get_full_name() if payment.payer else payment.payer_email
        if kind == "co_owner_cancelled":  # named for who cancelled it; "your" to its payer
            name = _cancelled_by(payment)
            context.update(to_payer=to_user_id is not None and to_user_id == payment.payer_id)
        context.update(
            payer_name=name,
            sharing_path=reverse("loan_sharing", args=[payment.loan_id]),
            pay_path=reverse("payments:pay", args=[payment.loan_id]),
        )
        subject = OWNER_SUBJECTS[kind].replace("{name}", name)
    else:
        subject = PAYMENT_SUBJECTS[kind]
    subject = subject.replace("{amount}", f"{payment.amount:,}")
    return subject, render_to_string(f"payments/email/payment_{kind}.txt", context)


def _summary_now(loan):
    """The loan as the dashboard shows it today (lender's business date), for an email that
    says what is owed when it is sent."""
    from ismartpay.core.today import business_date
    from loans.selectors import loan_summary

    return loan_summary(loan, today=business_date(loan.lender))


def _reopened_context(loan) -> dict:
    """What the borrower owes now on a loan a returned payment reopened, and where to set up
    autopay again (it ended at payoff and is never restarted for them)."""
    summary = _summary_now(loan)
    return {
        "amount_due": summary.amount_due,
        "next_due_date": summary.next_due_date,
        "next_payment_amount": summary.next_payment_amount,
        "autopay_path": reverse("payments:autopay_setup", args=[loan.pk]),
    }


def _cancelled_by(payment: Payment) -> str:
    """The name of who cancelled `payment` (its CANCELLED event's actor)."""
    event = payment.events.filter(to_status=Payment.Status.CANCELLED).select_related("actor")
    actor = event.order_by("-pk").first().actor
    return actor.get_full_name() or actor.email
