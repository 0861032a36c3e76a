"""The one-time payment flow: choose → review → confirm → receipt. Views parse input and call
one service or selector; domain errors become messages next to the right thing."""

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ismartpay.core.today import business_date
from loans.calendar import is_business_day
from loans.permissions import can_cancel_payment, loan_role
from loans.selectors import loan_get_for_user

from .. import rules
from ..declines import reason_for
from ..errors import (
    AmountNotAllowed,
    DuplicateSuspected,
    MethodNotUsable,
    NotAllowed,
    PaymentError,
)
from ..forms import ConfirmForm, PayForm
from ..models import Payment
from ..presenters import payment_timeline
from ..preview import amounts_paid_now, payment_preview, payoff_paid_now
from ..risk import borrower_hold_reasons
from ..selectors import (
    method_get_for_user,
    methods_for_user,
    payment_get_for_user,
    usable_methods,
)
from ..services import new_idempotency_key, payment_cancel_scheduled, payment_submit
from ..statuses import payment_has_receipt
from ..timing import cutoff_words, time_left_before_cutoff

S = Payment.Status
DRAFTS = "payment_drafts"  # session: idempotency key -> the reviewed payment
MAX_DRAFTS = 5


def _principal_only_refusal(loan, amounts) -> str | None:
    refusal = rules.principal_only_refusal(
        past_due=amounts["past_due"], unpaid_fees=loan.unpaid_fees
    )
    return refusal.message if refusal else None


@login_required
@require_http_methods(["GET", "POST"])
def pay_start(request, loan_id):
    loan = loan_get_for_user(request.user, loan_id, need="pay")
    now = timezone.now()
    today = business_date(loan.lender, now)  # money: the lender's date, as the review
    amounts = amounts_paid_now(loan, now=now)
    saved = list(methods_for_user(request.user))  # read once: usable ones and those to verify
    methods = usable_methods(saved, on=today)
    refusal = _principal_only_refusal(loan, amounts)
    form = PayForm(
        request.POST if request.method == "POST" else None,
        amounts=amounts,
        methods=methods,
        today=today,
        initial=_initial(request, loan, amounts, methods, today),
        principal_only_refusal=refusal,
        payoff_on=lambda day: payoff_paid_now(loan, now=now, pay_on=day),
    )
    if request.method == "POST" and form.is_valid():
        key = new_idempotency_key()
        drafts = request.session.get(DRAFTS, {})
        drafts = dict(list(drafts.items())[-(MAX_DRAFTS - 1) :])
        drafts[key] = {**form.draft(), "loan_id": loan.pk}
        request.session[DRAFTS] = drafts
        return redirect("payments:review", loan_id=loan.pk, key=key)
    return render(
        request,
        "payments/pay.html",
        {
            "loan": loan,
            "form": form,
            "amounts": amounts,
            "has_methods": bool(methods),
            "principal_only_refusal": refusal,
            "unverified": [m for m in saved if m.needs_verification],
            "cutoff_left": time_left_before_cutoff(
                now=now, lender_tz=loan.lender.timezone, cutoff=loan.lender.cutoff_time
            ),
            "cutoff": cutoff_words(today, loan.lender),
        },
    )


def _initial(request, loan, amounts, methods, today) -> dict:
    """Prefill: the reviewed draft when the borrower taps Change (`?draft=<key>`); after a
    decline, what the borrower typed; else the amount due and the default method.
    `?amount=` (from the troubleshooter) prefills an other amount; `?method=<id>` (back from
    adding or verifying a method) chooses that method when it can pay."""
    initial = _draft_initial(request, loan)
    if initial is None:
        retry = request.session.get("payment_retry")
        if retry and retry.get("loan_id") == loan.pk:
            initial = {k: v for k, v in retry.items() if k != "loan_id"}
    if initial is None:
        initial = {
            "amount_choice": "due" if amounts["due"] > 0 else "other",
            "pay_on": today,
            "method": str(methods[0].pk) if methods else None,
        }
        if request.GET.get("amount"):
            initial.update(amount_choice="other", other_amount=request.GET["amount"][:16])
    chosen = request.GET.get("method", "")
    if chosen in {str(m.pk) for m in methods}:
        initial["method"] = chosen
    return initial


def _draft_initial(request, loan) -> dict | None:
    """The form as the borrower filled it, from the session draft the review page showed."""
    draft = request.session.get(DRAFTS, {}).get(request.GET.get("draft", ""))
    if not draft or draft.get("loan_id") != loan.pk:
        return None
    return {
        "amount_choice": draft["amount_choice"],
        "other_amount": draft["other_amount"],
        "principal_only": draft["principal_only"],
        "method": str(draft["method_id"]),
        "pay_on": draft["pay_on"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def pay_review(request, loan_id, key):
    loan = loan_get_for_user(request.user, loan_id, need="pay")
    done = Payment.objects.filter(idempotency_key=key, loan=loan).first()
    if done is not None:  # back-and-resubmit, a double tap, a reload: the same receipt
        return redirect("payments:detail", reference=done.reference)
    draft = request.session.get(DRAFTS, {}).get(key)
    if not draft or draft.get("loan_id") != loan.pk:
        messages.info(request, "Let's start that payment again.")
        return redirect("payments:pay", loan_id=loan.pk)
    method = method_get_for_user(request.user, draft["method_id"])
    now = timezone.now()
    preview = payment_preview(
        loan=loan,
        method=method,
        amount=Decimal(draft["amount"]),
        now=now,
        pay_on=dt.date.fromisoformat(draft["pay_on"]),
        is_payoff=draft["amount_choice"] == "payoff",
        principal_only=draft["principal_only"],
    )
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and _still_counts_as_shown(form, preview, loan):
        try:
            payment = _submit(request, loan, key, draft, method, preview, form, now)
        except DuplicateSuspected as exc:
            form.add_error("confirm_duplicate", str(exc))
        except (AmountNotAllowed, MethodNotUsable, PaymentError) as exc:
            messages.error(request, str(exc))
            return redirect("payments:pay", loan_id=loan.pk)
        else:
            return _after_submit(request, loan, key, draft, payment)
    if preview.allocation is None:
        messages.error(request, preview.allocation_error)
        return redirect("payments:pay", loan_id=loan.pk)
    return _render_review(
        request, loan=loan, key=key, draft=draft, method=method, preview=preview, form=form
    )


def _render_review(request, *, loan, key, draft, method, preview, form):
    """The review page: every figure on it from the one preview."""
    return render(
        request,
        "payments/review.html",
        {
            "loan": loan,
            "form": form,
            "change_url": f"{reverse('payments:pay', args=[loan.pk])}?draft={key}",
            "method": method,
            "preview": preview,
            "principal_only": draft["principal_only"],
            "is_payoff": draft["amount_choice"] == "payoff",
            # The names the template reads, all from the one preview.
            "amount": preview.amount,
            "fee": preview.fee,
            "total": preview.total,
            "pay_on": preview.pay_on,
            "later": preview.later,
            "effective": preview.effective,
            "counts_later": preview.counts_later,
            "after_due": preview.after_due,
            "business_day": is_business_day(preview.today),
            "allocation": preview.allocation,
            "authorization": preview.authorization_text,
            "cutoff_left": preview.cutoff_left,
            "cancel_until": cutoff_words(preview.pay_on, loan.lender),  # the cancel rule's
        },
    )


def _still_counts_as_shown(form, preview, loan) -> bool:
    """False (with the reason on the form) when the cut-off passed since the page was shown:
    the payment would count on another day than the one the borrower confirmed."""
    shown = form.cleaned_data["shown_effective"]
    if shown is None or shown == preview.effective:
        return True
    effective = preview.effective
    form.add_error(
        None,
        f"It's now past the {cutoff_words(preview.today, loan.lender)} cut-off, so this payment "
        f"would count on {effective:%A, %B} {effective.day}. Check the details and "
        "confirm again.",
    )
    return False


def _submit(request, loan, key, draft, method, preview, form, now) -> Payment:
    return payment_submit(
        loan_id=loan.pk,
        method=method,
        amount=preview.amount,
        idempotency_key=key,
        payer=request.user,
        payer_email=request.user.email,
        scheduled_for=preview.pay_on,
        principal_only=draft["principal_only"],
        is_payoff=draft["amount_choice"] == "payoff",
        authorization_text=preview.authorization_text,
        authorization_version=preview.authorization_version,
        confirm_duplicate=form.cleaned_data["confirm_duplicate"],
        actor_label=loan.link_role,  # borrower, co_borrower or payer: on every event
        now=now,
    )


def _retry_method(user, reason, declined_id: int) -> str | None:
    """The method "Try again" chooses: the declined one, so a retry is one tap, unless the
    decline is about that card itself (declines.Reason.retry_same_method); then another
    usable method, or none."""
    if reason.retry_same_method:
        return str(declined_id)
    usable = usable_methods(methods_for_user(user), on=business_date())
    others = [m for m in usable if m.pk != declined_id]
    return str(others[0].pk) if others else None


def _after_submit(request, loan, key, draft, payment):
    drafts = request.session.get(DRAFTS, {})
    drafts.pop(key, None)
    request.session[DRAFTS] = drafts
    if payment.status == Payment.Status.FAILED:
        reason = reason_for(payment.decline_code)
        # Keep what the borrower chose so trying again is one tap.
        request.session["payment_retry"] = {
            "loan_id": loan.pk,
            "amount_choice": draft["amount_choice"],
            "other_amount": draft["other_amount"],
            "pay_on": draft["pay_on"],
            "principal_only": draft["principal_only"],
            "method": _retry_method(request.user, reason, draft["method_id"]),
        }
        messages.error(request, f"{reason.title}. {reason.next_steps} Nothing was charged.")
        return redirect("payments:detail", reference=payment.reference)
    request.session.pop("payment_retry", None)
    return redirect("payments:detail", reference=payment.reference)


@login_required
def payment_detail(request, reference):
    payment = payment_get_for_user(request.user, reference)
    code = payment.decline_code or payment.return_code
    posting = payment.loan_posting if payment.status in Payment.APPLIED_STATUSES else None
    return render(
        request,
        "payments/detail.html",
        {
            "payment": payment,
            "posting": posting,
            "has_receipt": payment_has_receipt(payment.status),
            "loan": payment.loan,
            "timeline": payment_timeline(payment),
            "reason": reason_for(code) if code else None,
            "hold_reasons": borrower_hold_reasons(payment.risk_flags or [])
            if payment.status == S.HELD
            else [],
            "reference_label": _reference_label(payment.status),
            "can_cancel": payment.status in (Payment.Status.SCHEDULED, Payment.Status.HELD)
            and _may_cancel(request.user, payment),
        },
    )


def _reference_label(status: str) -> str:
    """A confirmation number confirms something: a declined attempt has a reference only."""
    if status == S.FAILED:
        return "Attempt reference"
    if status in (S.POSTED, S.PENDING, S.SETTLED, S.SCHEDULED, S.REFUNDING, S.REFUNDED):
        return "Confirmation number"
    return "Reference"


def _may_cancel(user, payment: Payment) -> bool:
    """Whether to offer the cancel button: the rule the cancel service enforces."""
    return can_cancel_payment(
        role=loan_role(user_id=user.pk, loan_id=payment.loan_id),
        user_id=user.pk,
        payer_id=payment.payer_id,
        payer_role=loan_role(user_id=payment.payer_id, loan_id=payment.loan_id),
    )


@login_required
@require_POST
def payment_cancel(request, reference):
    payment = payment_get_for_user(request.user, reference)
    try:
        payment_cancel_scheduled(payment_id=payment.pk, actor=request.user)
    except NotAllowed as exc:
        # They may see the payment (else 404 above) but not cancel it; no button offered it.
        raise PermissionDenied(str(exc)) from exc
    except PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your payment is cancelled. Nothing will be charged.")
    return redirect("payments:detail", reference=payment.reference)
