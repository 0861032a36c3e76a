"""Why a payment failed or came back, in plain language, and what to do next."""

from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from accounts.decorators import payments_access_required
from loans.permissions import can_pay, loan_role

from ..declines import ACH_RETURNS, Reason, reason_for
from ..models import Payment
from ..selectors import payment_get_for_user

S = Payment.Status


@dataclass(frozen=True)
class Troubleshooting:
    """Everything the page says, decided here so the template only displays."""

    payment: Payment
    reason: Reason
    code: str
    returned: bool
    nsf_fee: Decimal | None  # the lender's returned-payment fee, for returns
    retry_note: str
    method_disabled: bool
    autopay_suspended: bool
    pay_again_url: str  # empty when the viewer can't pay this loan


def _retry_note(payment: Payment, reason: Reason, *, returned: bool) -> str:
    if returned:
        if reason.retryable:
            return (
                "Your bank may accept this debit if it's tried again. We may present it again "
                "at most twice within 180 days; you can also pay now to avoid more fees."
            )
        return "We won't try to debit this account again for this payment."
    if payment.decline_code == "processing_error":
        return "You have not been charged. It's safe to try again in a few minutes."
    if reason.retryable:
        return (
            "You have not been charged. If this was an automatic payment, we try a soft decline "
            "like this one again at most 3 times before the due date."
        )
    return (
        "You have not been charged. We won't try this card again automatically: it needs "
        "a change from you or your card issuer first."
    )


def troubleshooting_for(payment: Payment, *, can_pay: bool) -> Troubleshooting:
    returned = payment.status == S.RETURNED
    code = payment.return_code if returned else payment.decline_code
    reason = reason_for(code) if code else reason_for("unknown")
    pay_again = ""
    if can_pay:
        query = urlencode({"amount": f"{payment.amount:.2f}"})
        pay_again = f"{reverse('payments:pay', args=[payment.loan_id])}?{query}"
    return Troubleshooting(
        payment=payment,
        reason=reason,
        code=code,
        returned=returned,
        nsf_fee=payment.loan.lender.nsf_fee if returned else None,
        retry_note=_retry_note(payment, reason, returned=returned),
        method_disabled=reason.disables_method,
        autopay_suspended=returned and reason.suspends_autopay and code in ACH_RETURNS,
        pay_again_url=pay_again,
    )


def _can_pay(user, payment: Payment) -> bool:
    return can_pay(loan_role(user_id=user.pk, loan_id=payment.loan_id))


@payments_access_required
def troubleshoot(request, reference: str):
    payment = payment_get_for_user(request.user, reference)  # 404 first, whatever the method
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    if payment.status not in (S.FAILED, S.RETURNED):
        return redirect("payments:detail", reference=payment.reference)
    help_ = troubleshooting_for(payment, can_pay=_can_pay(request.user, payment))
    return render(request, "payments/troubleshoot.html", {"help": help_, "payment": payment})
