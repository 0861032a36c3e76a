"""Autopay pages: set up (loan → method → amount → schedule → review → confirm), manage
(next debit, change, pause, skip, resume, cancel). Thin: a form or a service each."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.decorators import payments_access_required, recent_login_required
from ismartpay.core.client_ip import client_ip
from ismartpay.core.today import business_date
from loans.selectors import loan_get_for_user

from ..selectors import methods_for_user, usable_methods
from ..statuses import plan_status_tone
from . import services
from .forms import AutopayForm, terms_from_session, terms_to_session
from .selectors import (
    debits_for_plan,
    live_plan_for_loan,
    plan_get_for_user,
    plan_terms,
    plan_upcoming,
    skips_ahead,
)

DRAFT = "autopay_draft"
_ONLY_THE_PLAN_OWNER = (
    "Only {owner}, who set up this autopay, can change it. You can pause, skip or cancel it, "
    "or cancel it and set up your own."
)


def _today(loan):
    return business_date(loan.lender)


def _methods(user, today):
    return usable_methods(methods_for_user(user), on=today)


def _client(request) -> tuple[str | None, str]:
    # The borrower's own address behind the TLS proxy (Reg E authorization record).
    return client_ip(request), request.META.get("HTTP_USER_AGENT", "")


def _form_page(request, loan, *, plan=None, draft_key, next_url):
    today = _today(loan)
    methods = _methods(request.user, today)
    initial = {"schedule": "monthly_due", "amount_rule": "installment", "start_date": today}
    if methods:
        initial["method"] = str(methods[0].pk)
    if plan is not None:
        initial.update(
            method=str(plan.method_id),
            amount_rule=plan.amount_rule,
            schedule=plan.schedule,
            day_of_month=plan.day_of_month,
            start_date=max(plan.start_date, today),
            end_date=plan.end_date,
            fixed_amount=plan.fixed_amount or "",
            extra_amount=plan.extra_amount or "",
        )
    form = AutopayForm(
        request.POST if request.method == "POST" else None,
        methods=methods,
        installment=loan.installment_amount,
        today=today,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        request.session[draft_key] = terms_to_session(form.method_obj.pk, form.terms())
        return redirect(next_url)
    return render(
        request,
        "payments/autopay/setup.html",
        {"loan": loan, "form": form, "plan": plan, "has_methods": bool(methods)},
    )


def _review_page(request, loan, *, draft_key, plan=None):
    draft = request.session.get(draft_key)
    if not draft:
        return None, None
    method = next(
        (m for m in _methods(request.user, _today(loan)) if m.pk == draft["method"]), None
    )
    if method is None:
        return None, None
    terms = terms_from_session(draft)
    text, upcoming = services.preview(
        loan=loan, method=method, terms=terms, now=timezone.now(), plan=plan
    )
    return (method, terms), {
        "loan": loan,
        "plan": plan,
        "method": method,
        "text": text,
        "upcoming": upcoming,
        "terms": terms,
        "amount_label": services.describe_amount(terms),
        "schedule_label": services.describe_schedule(terms),
        "was": _was(plan, method, terms),
    }


def _was(plan, method, terms) -> dict[str, str]:
    """A change's review: each term the change moves, as it is now ("Was: …" beside the new
    one), so the borrower sees what they are changing (the new-user review helper-68)."""
    if plan is None:
        return {}
    now = plan_terms(plan)
    was = {
        "method": (plan.method.label, method.label),
        "amount": (services.describe_amount(now), services.describe_amount(terms)),
        "schedule": (services.describe_schedule(now), services.describe_schedule(terms)),
    }
    return {field: old for field, (old, new) in was.items() if old != new}


@recent_login_required
@payments_access_required
@require_http_methods(["GET", "POST"])
def setup(request, loan_id):
    loan = loan_get_for_user(request.user, loan_id, need="autopay")
    plan = live_plan_for_loan(loan)
    if plan is not None:
        return redirect("payments:autopay_manage", plan.pk)
    return _form_page(
        request,
        loan,
        draft_key=f"{DRAFT}:{loan.pk}",
        next_url=_url("payments:autopay_review", loan.pk),
    )


def _url(name, *args):
    return reverse(name, args=args)


@recent_login_required
@payments_access_required
@require_http_methods(["GET", "POST"])
def review(request, loan_id):
    loan = loan_get_for_user(request.user, loan_id, need="autopay")
    key = f"{DRAFT}:{loan.pk}"
    chosen, context = _review_page(request, loan, draft_key=key)
    if chosen is None:
        return redirect("payments:autopay_setup", loan.pk)
    if request.method == "POST":
        return _authorize(
            request,
            context,
            draft_key=key,
            done="Autopay is on. We emailed you a copy of your authorization.",
            submit=lambda **signed: services.autopay_enroll(
                user=request.user, loan_id=loan.pk, method=chosen[0], terms=chosen[1], **signed
            ),
        )
    return render(request, "payments/autopay/review.html", context)


def _authorize(request, context, *, draft_key: str, done: str, submit):
    """POST of a review page: `submit(ip_address=, user_agent=, shown_text=)` signs the
    authorization the borrower read (enrol or change); a refusal is shown on the page (409),
    else the draft is dropped and the plan's page says `done`."""
    ip, agent = _client(request)
    try:
        plan = submit(ip_address=ip, user_agent=agent, shown_text=request.POST.get("text_shown"))
    except services.AutopayError as exc:
        context["error"] = str(exc)
        return render(request, "payments/autopay/review.html", context, status=409)
    request.session.pop(draft_key, None)
    messages.success(request, done)
    return redirect("payments:autopay_manage", plan.pk)


@login_required
def manage(request, plan_id):
    plan = plan_get_for_user(request.user, plan_id)
    today = _today(plan.loan)
    upcoming = _upcoming(plan, count=3)
    skips = list(skips_ahead(plan, today)) if plan.is_live else []  # undo: only when active
    ahead = {skip.pk for skip in skips}
    return render(
        request,
        "payments/autopay/manage.html",
        {
            "plan": plan,
            "loan": plan.loan,
            "status_tone": plan_status_tone(plan.status),
            "upcoming": upcoming,
            "next": upcoming[0] if upcoming else None,
            "deadline": _deadline(plan, upcoming[0].run_date) if upcoming else None,
            # Each skip of a debit still ahead, with its own undo and cut-off...
            "skips": [(skip, _deadline(plan, skip.run_date)) for skip in skips],
            # ...so not in the history.
            "debits": [d for d in debits_for_plan(plan) if d.pk not in ahead],
            # A change re-authorizes debits from the plan owner's method: theirs to make. The
            # other owner may pause, skip, resume or cancel (autopay_change refuses them too).
            "can_change": plan.owner_id == request.user.pk,
        },
    )


def _upcoming(plan, *, count: int):
    return plan_upcoming(plan, today=_today(plan.loan), count=count)


def _deadline(plan, run_date):
    """The change deadline of a debit on `run_date`, in the lender's time zone."""
    return timezone.localtime(
        services.change_deadline(run_date, plan.loan.lender), ZoneInfo(plan.loan.lender.timezone)
    )


@recent_login_required
@payments_access_required
@require_http_methods(["GET", "POST"])
def change(request, plan_id):
    plan = plan_get_for_user(request.user, plan_id)
    if plan.owner_id != request.user.pk:
        messages.error(request, _ONLY_THE_PLAN_OWNER.format(owner=plan.owner.get_full_name()))
        return redirect("payments:autopay_manage", plan.pk)
    return _form_page(
        request,
        plan.loan,
        plan=plan,
        draft_key=f"{DRAFT}:plan:{plan.pk}",
        next_url=_url("payments:autopay_change_review", plan.pk),
    )


@recent_login_required
@payments_access_required
@require_http_methods(["GET", "POST"])
def change_review(request, plan_id):
    plan = plan_get_for_user(request.user, plan_id)
    key = f"{DRAFT}:plan:{plan.pk}"
    chosen, context = _review_page(request, plan.loan, draft_key=key, plan=plan)
    if chosen is None:
        return redirect("payments:autopay_change", plan.pk)
    if request.method == "POST":
        return _authorize(
            request,
            context,
            draft_key=key,
            done=(
                "Autopay is changed"
                + (" and back on" if plan.status != plan.Status.ACTIVE else "")
                + ". We emailed you the new authorization."
            ),
            submit=lambda **signed: services.autopay_change(
                plan_id=plan.pk, user=request.user, method=chosen[0], terms=chosen[1], **signed
            ),
        )
    return render(request, "payments/autopay/review.html", context)


def _date_or_none(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _to_manage(plan) -> HttpResponseRedirect:
    """An action's URL opened with GET (a link, a reload): nothing changes; the plan's page,
    where its buttons are, instead of a bare 405."""
    return HttpResponseRedirect(_url("payments:autopay_manage", plan.pk), status=303)


def _action(request, plan_id, service, done: str):
    # The plan is looked up before the method check: another borrower gets 404 on GET too.
    plan = plan_get_for_user(request.user, plan_id)
    if request.method != "POST":
        return _to_manage(plan)
    try:
        service(plan_id=plan.pk, user=request.user)
    except services.AutopayError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("payments:autopay_manage", plan.pk)


@recent_login_required
def pause(request, plan_id):
    return _action(
        request, plan_id, services.autopay_pause, "Autopay is paused. Remember to pay another way."
    )


@recent_login_required
def resume(request, plan_id):
    return _action(request, plan_id, services.autopay_resume, "Autopay is back on.")


@recent_login_required
def skip_next(request, plan_id):
    if request.method == "GET":  # one tap shows what skipping means; the second one does it
        plan = plan_get_for_user(request.user, plan_id)
        upcoming = _upcoming(plan, count=1)
        if not upcoming:
            messages.info(request, "There is no upcoming payment to skip.")
            return redirect("payments:autopay_manage", plan.pk)
        context = {"plan": plan, "loan": plan.loan, "next": upcoming[0]}
        context["deadline"] = _deadline(plan, upcoming[0].run_date)
        return render(request, "payments/autopay/skip_confirm.html", context)
    shown = _date_or_none(request.POST.get("period"))
    return _action(
        request,
        plan_id,
        lambda **kw: services.autopay_skip_next(**kw, period_key=shown),
        "The payment is skipped. Pay that installment another way by its due date. "
        "You can undo the skip below until its cut-off.",
    )


@recent_login_required
def unskip(request, plan_id):
    plan = plan_get_for_user(request.user, plan_id)  # 404 first, whatever the method
    if request.method != "POST":
        return _to_manage(plan)
    debit = request.POST.get("debit")
    if debit is not None and _int_or_none(debit) is None:  # a form of ours always sends one
        messages.error(request, "That skip wasn't found. Here is your autopay as it is now.")
        return _to_manage(plan)
    try:
        skipped = services.autopay_unskip(
            plan_id=plan.pk, user=request.user, debit_id=_int_or_none(debit)
        )
    except services.AutopayError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"The payment on {skipped.run_date:%A, %b %-d, %Y} will be made after all."
        )
    return redirect("payments:autopay_manage", plan.pk)


@recent_login_required
def cancel(request, plan_id):
    if request.method == "GET":  # one tap shows what cancelling means; the second one does it
        plan = plan_get_for_user(request.user, plan_id)
        return render(request, "payments/autopay/cancel_confirm.html", {"plan": plan})
    return _action(
        request,
        plan_id,
        services.autopay_cancel,
        "Autopay is cancelled. No more automatic payments will be made.",
    )
