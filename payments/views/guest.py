"""Guest payment: pay a loan without an account.

1. Find the loan: lender + loan number + billing ZIP + last 6 of the VIN (compared in constant
   time; one generic error; failed lookups rate-limited per IP and per loan).
   A visitor's own typos limit that visitor (per session); the per-IP limit is high enough for
   a household or office behind one address (issue 10, item 6).
2. Pay: only the amount due is shown; email, amount, card (the gateway's form) or bank account
   (with an explicit ACH authorization). The method is a PaymentMethod with owner=None, made by
   the same services as a borrower's.
3. Review: the idempotency key is created with the review and kept in the session before any
   charge; confirming twice lands on the same payment.
4. Receipt: by reference, only for the session that paid or through a signed link.
"""

import time
from decimal import Decimal

from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_http_methods

from ismartpay.core.client_ip import client_ip
from loans.models import Loan

from ..declines import reason_for
from ..errors import DuplicateSuspected, PaymentError
from ..forms.guest import (
    LOOKUP_FAILED,
    DuplicateConfirmForm,
    GuestLookupForm,
    GuestPayForm,
)
from ..forms.methods import BankAccountForm, scrub_card_form
from ..gateways import get_gateway
from ..models import Payment, PaymentMethod
from ..preview import amounts_paid_now, guest_ach_text, payment_preview
from ..receipt_links import (  # re-exported: the links live in payments/receipt_links.py
    RECEIPT_LINK_MAX_AGE,
    RECEIPT_SALT,
    guest_receipt_url,
    receipt_token,  # noqa: F401  (re-exported)
)
from ..services import new_idempotency_key, payment_submit
from .methods import _add_bank_from_form, _add_card_from_form

SESSION_KEY = "payments_guest"
RECEIPTS_KEY = "payments_guest_receipts"  # references this session paid: may see receipts
DONE_KEY = "payments_guest_done"  # idempotency key -> reference, for a repeated confirm
VERIFIED_FOR_SECONDS = 15 * 60
CLIENT_LIMIT, CLIENT_WINDOW = 5, 15 * 60  # failed lookups per visitor (session) per 15 min
IP_LIMIT, IP_WINDOW = 30, 15 * 60  # failed lookups per IP per 15 minutes: a whole household
LOAN_LIMIT, LOAN_WINDOW = 10, 60 * 60  # failed lookups per loan number per hour
TOO_MANY = (
    "Too many tries. For your security, please try again later, or call your lender for help."
)
_MISSING = "\x00" * 6  # compared against when no loan matches: the same work either way


# --- rate limits -----------------------------------------------------------------------------
def _limit_keys(request, form: GuestLookupForm) -> list[tuple[str, int, int]]:
    if not request.session.session_key:
        request.session.save()  # a key to count this visitor's own tries under
    keys = [
        (
            f"payments:guest-lookup:client:{request.session.session_key}",
            CLIENT_LIMIT,
            CLIENT_WINDOW,
        ),
        (f"payments:guest-lookup:ip:{client_ip(request)}", IP_LIMIT, IP_WINDOW),
    ]
    lender = form.cleaned_data.get("lender") if hasattr(form, "cleaned_data") else None
    number = form.cleaned_data.get("loan_number") if hasattr(form, "cleaned_data") else None
    if lender is not None and number:
        keys.append((f"payments:guest-lookup:loan:{lender.pk}:{number}", LOAN_LIMIT, LOAN_WINDOW))
    return keys


def _limited(keys) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit, _ in keys)


def _count_failure(keys) -> None:
    for key, _, window in keys:
        cache.add(key, 0, window)  # the window starts at the first failure
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)


# --- the guest's session state ---------------------------------------------------------------
def _state(request) -> dict:
    return request.session.get(SESSION_KEY) or {}


def _verified_loan(request) -> Loan | None:
    state = _state(request)
    if not state.get("loan_id") or time.time() - state.get("at", 0) > VERIFIED_FOR_SECONDS:
        return None
    return Loan.objects.select_related("lender").filter(pk=state["loan_id"]).first()


def _save_state(request, state: dict) -> None:
    request.session[SESSION_KEY] = state
    request.session.modified = True


def _find_loan(form: GuestLookupForm) -> Loan | None:
    """The loan whose facts all match, else None. Every comparison runs whatever matched, so
    the answer (and its timing) never tells which fact was wrong."""
    data = form.cleaned_data
    loan = (
        Loan.objects.select_related("lender")
        .filter(lender=data["lender"], loan_number__iexact=data["loan_number"])
        .first()
    )
    from loans.facts import loan_facts_match  # the one rule, shared with linking a loan

    matched = loan_facts_match(loan, billing_zip=data["billing_zip"], vin_last6=data["vin_last6"])
    return loan if matched else None


def _amount_due(loan: Loan) -> Decimal:
    """What a guest may pay: the amount due, the payoff to the day it counts when that is the
    whole of it (preview.amounts_paid_now)."""
    return amounts_paid_now(loan, now=timezone.now())["due"]


# --- pages -----------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def guest_pay(request):
    if request.method == "POST" and "start_over" in request.POST:
        request.session.pop(SESSION_KEY, None)
        return redirect("payments:guest_pay")
    loan = _verified_loan(request)
    if loan is None:
        return _lookup(request)
    return _pay(request, loan)


def _lookup(request):
    form = GuestLookupForm(request.POST if request.method == "POST" else None)
    too_many = False
    if request.method == "POST" and form.is_valid():
        keys = _limit_keys(request, form)
        if _limited(keys):
            too_many = True
        else:
            loan = _find_loan(form)
            if loan is None:
                _count_failure(keys)
                form.add_error(None, LOOKUP_FAILED)
            else:
                request.session.cycle_key()  # a fresh session id for the verified guest
                _save_state(request, {"loan_id": loan.pk, "at": time.time(), "reviews": {}})
                return redirect("payments:guest_pay")
    status = 429 if too_many else 200
    return render(
        request, "payments/guest/lookup.html", {"form": form, "too_many": too_many}, status=status
    )


def _pay(request, loan: Loan):
    amount_due = _amount_due(loan)
    payable = loan.status not in Loan.CLOSED_STATUSES and amount_due > 0
    posted = request.POST if request.method == "POST" else None
    form = GuestPayForm(posted, amount_due=amount_due, initial={"amount": f"{amount_due:.2f}"})
    chosen = (posted or {}).get("method_kind")
    # Only the chosen method's fields are bound: the other one shows no errors.
    card_form = get_gateway().card_entry_form()(posted if chosen == "card" else None, prefix="card")
    bank_form = BankAccountForm(posted if chosen == "bank" else None, prefix="bank")
    accepts = {"card": loan.lender.accepts_cards, "bank": loan.lender.accepts_bank_accounts}
    if posted is not None and payable and form.is_valid():
        kind = form.cleaned_data["method_kind"]
        method = None
        if not accepts[kind]:
            form.add_error("method_kind", "Your lender doesn't accept this way of paying.")
        elif kind == PaymentMethod.Kind.BANK:
            method = _add_bank_from_form(bank_form, owner=None)
        else:
            method = _add_card_from_form(card_form, owner=None)
        if method is not None:
            key = new_idempotency_key()
            state = _state(request)
            state.setdefault("reviews", {})[key] = {
                "method_id": method.pk,
                "amount": f"{form.cleaned_data['amount']:.2f}",
                "email": form.cleaned_data["email"],
                "ach_text": (
                    _ach_text(loan, form.cleaned_data["amount"], account=method.label)
                    if kind == PaymentMethod.Kind.BANK
                    else ""
                ),
            }
            _save_state(request, state)
            return redirect("payments:guest_review", key=key)
    if card_form.is_bound:
        scrub_card_form(card_form)
    context = {
        "form": form,
        "card_form": card_form,
        "bank_form": bank_form,
        "amount_due": amount_due,
        "payable": payable,
        "accepts": accepts,
        "lender_name": loan.lender.name,
        "ach_text": _ach_text(loan, None),
        "bank_selected": chosen == PaymentMethod.Kind.BANK,
    }
    return render(request, "payments/guest/pay.html", context)


_ach_text = guest_ach_text  # the one text, in payments/preview.py


@require_http_methods(["GET", "POST"])
def guest_review(request, key: str):
    done = request.session.get(DONE_KEY, {}).get(key)
    if done:  # confirmed already (a double tap, or Back): the same receipt
        return redirect(guest_receipt_url(done))
    loan = _verified_loan(request)
    if loan is None:
        messages.info(request, "For your security, please find your loan again.")
        return redirect("payments:guest_pay")
    review = _state(request).get("reviews", {}).get(key)
    if review is None:
        raise Http404("No such payment in progress")
    method = PaymentMethod.objects.filter(pk=review["method_id"], owner__isnull=True).first()
    if method is None:
        raise Http404("No such payment in progress")
    preview = payment_preview(
        loan=loan, method=method, amount=Decimal(review["amount"]), now=timezone.now(), guest=True
    )
    confirm = DuplicateConfirmForm(request.POST if request.method == "POST" else None)
    error, duplicate = "", False
    if request.method == "POST":
        confirm.is_valid()
        try:
            payment = _submit_guest(loan, method, preview, review=review, key=key, confirm=confirm)
        except DuplicateSuspected as exc:
            error, duplicate = str(exc), True
        except PaymentError as exc:
            error = str(exc)
        else:
            return redirect(_remember_receipt(request, payment, key=key))
    context = {
        "review": review,
        "method": method,
        "preview": preview,
        "amount": preview.amount,
        "fee": preview.fee,
        "total": preview.total,
        "lender_name": loan.lender.name,
        "error": error,
        "duplicate": duplicate,
        "confirm": confirm,
    }
    return render(request, "payments/guest/review.html", context)


def _submit_guest(loan, method, preview, *, review: dict, key: str, confirm) -> Payment:
    """Submit the guest's payment as reviewed: the previewed amount and authorization text."""
    return payment_submit(
        loan_id=loan.pk,
        method=method,
        amount=preview.amount,
        idempotency_key=key,
        payer=None,
        payer_email=review["email"],
        confirm_duplicate=bool(confirm.cleaned_data.get("confirm_duplicate")),
        source=Payment.Source.GUEST,
        actor_label="guest",
        authorization_text=preview.authorization_text,
        authorization_version=preview.authorization_version,
    )


def _remember_receipt(request, payment: Payment, *, key: str) -> str:
    refs = request.session.get(RECEIPTS_KEY, [])
    if payment.reference not in refs:
        request.session[RECEIPTS_KEY] = [*refs, payment.reference][-20:]
    done = request.session.get(DONE_KEY, {})
    request.session[DONE_KEY] = dict(list({**done, key: payment.reference}.items())[-20:])
    if payment.status not in (Payment.Status.FAILED,):
        request.session.pop(SESSION_KEY, None)  # paid: the next payment starts with a lookup
    return guest_receipt_url(payment.reference)


def _may_see_receipt(request, reference: str) -> bool:
    if reference in request.session.get(RECEIPTS_KEY, []):
        return True
    try:
        signed = signing.loads(
            request.GET.get("t", ""), salt=RECEIPT_SALT, max_age=RECEIPT_LINK_MAX_AGE
        )
    except signing.BadSignature:
        return False
    return constant_time_compare(str(signed), reference)


def guest_receipt(request, reference: str):
    if not _may_see_receipt(request, reference):
        raise Http404("No such receipt")  # before the method check: same 404 for a POST
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    payment = (
        Payment.objects.select_related("loan__lender")
        .filter(reference=reference, source=Payment.Source.GUEST)
        .first()
    )
    if payment is None:
        raise Http404("No such receipt")
    code = payment.decline_code or payment.return_code
    context = {
        "payment": payment,
        "reason": reason_for(code) if code else None,
        "failed": payment.status in (Payment.Status.FAILED, Payment.Status.RETURNED),
        "receipt_link": request.build_absolute_uri(guest_receipt_url(reference)),
        "lender_name": payment.loan.lender.name,
    }
    return render(request, "payments/guest/receipt.html", context)
