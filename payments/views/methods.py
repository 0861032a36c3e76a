"""Payment-method pages: list, add a card, add a bank account, verify, set default, remove."""

import secrets
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts.decorators import payments_access_required, recent_login_required

from ..errors import BankAccountLocked, PaymentError
from ..forms.methods import BankAccountForm, VerifyBankForm, scrub_card_form
from ..gateways import get_gateway
from ..gateways.base import CardRejected, GatewayError
from ..models import PaymentMethod
from ..selectors import (
    method_get_for_user,
    method_live_plans,
    method_waiting_payments,
    methods_for_user,
)
from ..services import (
    payment_method_add_bank,
    payment_method_add_card,
    payment_method_remove,
    payment_method_set_default,
    payment_method_verify_bank,
)
from ..services.methods import bank_verification_state

EXPIRED_MESSAGE = "This card's expiry date has passed. Use a card that hasn't expired."


@dataclass(frozen=True)
class MethodRow:
    """A payment method as the list shows it."""

    method: PaymentMethod
    label: str
    expiry: str  # "04/29" for cards, "" for bank accounts
    is_default: bool
    expired: bool
    expires_soon: bool
    disabled_reason: str
    needs_verification: bool
    verification_locked: bool
    can_be_default: bool


def method_rows(methods, *, today) -> list[MethodRow]:
    rows = []
    now = timezone.now()
    for m in methods:
        expired = m.is_expired(on=today)
        is_bank = m.kind == PaymentMethod.Kind.BANK
        locked = (
            is_bank
            and m.verified_at is None
            and bank_verification_state(method=m, now=now).locked_until is not None
        )
        rows.append(
            MethodRow(
                method=m,
                label=m.label,
                expiry=f"{m.exp_month:02d}/{m.exp_year % 100:02d}" if m.exp_year else "",
                is_default=m.is_default,
                expired=expired,
                expires_soon=not expired and m.expires_within(on=today),
                disabled_reason=m.disabled_reason,
                needs_verification=is_bank and m.verified_at is None and not m.disabled_reason,
                verification_locked=locked,
                can_be_default=m.is_usable and not m.is_default and not expired,
            )
        )
    return rows


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _back_with_method(request, method: PaymentMethod, default: str) -> str:
    """Back to the page the borrower came from (a safe `next`), with `method` chosen there
    (`?method=<id>`: the pay and autopay forms preselect it); else `default`."""
    target = _next_url(request, "")
    if not target:
        return default
    return f"{target}{'&' if '?' in target else '?'}method={method.pk}"


def _add_key(kind: str) -> str:
    return f"{kind}_{secrets.token_urlsafe(18)}"


@payments_access_required
def methods_list(request):
    rows = method_rows(methods_for_user(request.user), today=timezone.localdate())
    context = {"rows": rows, "next": _next_url(request, "")}  # carried to the add/verify links
    return render(request, "payments/methods/list.html", context)


@recent_login_required
@payments_access_required
@require_http_methods(["GET", "POST"])
def add_card(request):
    form_class = get_gateway().card_entry_form()
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        method = _add_card_from_form(form, owner=request.user)
        if method is not None:
            messages.success(request, f"{method.label} was added.")
            return redirect(_back_with_method(request, method, reverse("payments:methods")))
        scrub_card_form(form)
    return render(
        request, "payments/methods/add_card.html", {"form": form, "next": _next_url(request, "")}
    )


def _expiry_passed(form) -> bool:
    """Whether the typed expiry (month, year) is before this month; False when it couldn't
    be read (the form already says why)."""
    expiry = getattr(form, "cleaned_data", {}).get("expiry")
    if not (isinstance(expiry, tuple) and len(expiry) == 2):
        return False
    month, year = expiry
    today = timezone.localdate()
    return (year, month) < (today.year, today.month)


def _add_card_from_form(form, *, owner) -> PaymentMethod | None:
    """Validate, refuse an expired card before the processor sees it, tokenize. None (with
    the error on the form) when refused; the caller scrubs number and CVC."""
    valid = form.is_valid()
    if _expiry_passed(form):  # said even when another field is wrong too
        form.add_error("expiry", EXPIRED_MESSAGE)
        return None
    if not valid:
        return None
    try:
        return payment_method_add_card(
            owner=owner, card=form.card_input(), idempotency_key=_add_key("card")
        )
    except CardRejected as exc:
        field = "expiry" if exc.code == "expired_card" else None
        form.add_error(field, str(exc))
    except GatewayError:
        form.add_error(None, "We couldn't reach the card processor. Please try again.")
    return None


def _add_bank_from_form(form, *, owner) -> PaymentMethod | None:
    if not form.is_valid():
        return None
    try:
        return payment_method_add_bank(
            owner=owner, account=form.bank_input(), idempotency_key=_add_key("bank")
        )
    except BankAccountLocked as exc:
        form.add_error("account_number", str(exc))
    except GatewayError:
        form.add_error(None, "We couldn't reach the payment processor. Please try again.")
    return None


@recent_login_required
@payments_access_required
@require_http_methods(["GET", "POST"])
def add_bank(request):
    form = BankAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        method = _add_bank_from_form(form, owner=request.user)
        if method is not None:
            messages.success(
                request,
                f"{method.label} is saved. It can pay once you confirm the two small deposits "
                "we sent to it: they arrive in 1–2 business days.",
            )
            verify = reverse("payments:verify_bank", args=[method.pk])
            return redirect(_next_url(request, verify))
    return render(
        request, "payments/methods/add_bank.html", {"form": form, "next": _next_url(request, "")}
    )


@payments_access_required
def verify_bank(request, method_id: int):
    method = method_get_for_user(request.user, method_id)  # 404 first, whatever the method
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if method.kind != PaymentMethod.Kind.BANK:
        return redirect("payments:methods")
    if method.verified_at is not None:
        messages.info(request, f"{method.label} is already verified.")
        return redirect("payments:methods")
    form = VerifyBankForm(request.POST if request.method == "POST" else None)
    state = bank_verification_state(method=method, now=timezone.now())
    if request.method == "POST" and state.locked_until is None and form.is_valid():
        try:
            verified = payment_method_verify_bank(method=method, amounts=form.amounts())
        except PaymentError as exc:
            form.add_error(None, str(exc))
        else:
            if verified:
                messages.success(request, f"{method.label} is verified.")
                return redirect(_back_with_method(request, method, reverse("payments:methods")))
            state = bank_verification_state(method=method, now=timezone.now())
            left = state.tries_left
            if state.locked_until is None:
                form.add_error(
                    None,
                    f"Those amounts don't match the deposits. You have {left} "
                    f"{'try' if left == 1 else 'tries'} left.",
                )
    context = {
        "form": form,
        "method": method,
        "locked": state.locked_until is not None,
        "locked_until": state.locked_until,
        "tries_left": state.tries_left,
        "next": _next_url(request, ""),
    }
    return render(request, "payments/methods/verify_bank.html", context)


@payments_access_required
def method_default(request, method_id: int):
    method = method_get_for_user(request.user, method_id)  # 404 first, whatever the method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if method.is_expired(on=timezone.localdate()):
        messages.error(request, f"{method.label} has expired, so it can't be the default.")
        return redirect("payments:methods")
    try:
        payment_method_set_default(method=method)
    except PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{method.label} is now your default method.")
    return redirect("payments:methods")


@payments_access_required
def method_remove(request, method_id: int):
    method = method_get_for_user(request.user, method_id)  # 404 before anything else
    return _remove_with_recent_sign_in(request, method)


@recent_login_required
def _remove_with_recent_sign_in(request, method: PaymentMethod):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    error = ""
    if request.method == "POST":
        try:
            cancelled = payment_method_remove(method=method, actor=request.user)
        except PaymentError as exc:
            error = str(exc)
        else:
            note = (
                f" {len(cancelled)} scheduled payment(s) from it were cancelled."
                if cancelled
                else ""
            )
            messages.success(request, f"{method.label} was removed.{note}")
            return redirect("payments:methods")
    context = {
        "method": method,
        "error": error,
        "waiting": method_waiting_payments(method).select_related("loan").order_by("scheduled_for"),
        "plans": method_live_plans(method).select_related("loan"),
    }
    return render(request, "payments/methods/remove.html", context, status=200)
