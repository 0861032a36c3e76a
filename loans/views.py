"""Loan pages. Thin: parse with a form, call one selector or service, render or redirect.

Every view that takes a loan id resolves it with `loan_get_for_user` first, for GET and POST
alike, so another borrower always gets the same 404 and nothing changes.
"""

import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from documents.selectors import loan_documents
from ismartpay.core.today import business_date
from payments.autopay.feed_hook import autopay_dates_for_user
from payments.upcoming import on_the_way_at

from . import calendar_feeds, ical, linking
from . import invitations as invites
from .forms import InviteForm, LinkLoanForm, PayoffQuoteForm, SimulatorForm
from .letters import payoff_letter_pdf
from .models import CalendarFeed, LoanInvitation
from .permissions import is_owner
from .selectors import (
    amortization_for,
    calendar_events_for_user,
    dashboard_for_user,
    loan_get_for_user,
    loan_what_if,
    payoff_quote,
)
from .selectors import (
    loan_detail as loan_detail_for,
)
from .simulation import SimulationError, WhatIf

SCHEDULE_PAGE_SIZE = 12


def _only(request, *methods: str):
    """405 for other methods; call after the access check so strangers still get 404."""
    return None if request.method in methods else HttpResponseNotAllowed(methods)


@login_required
def dashboard(request):
    now = timezone.now()  # each loan's money figures as of its lender's date at this moment
    summaries = dashboard_for_user(request.user, now=now)
    ways = on_the_way_at([s.loan for s in summaries], now=now)
    summaries = [dataclasses.replace(s, on_the_way=ways[s.loan.pk]) for s in summaries]
    return render(request, "loans/dashboard.html", {"summaries": summaries})


@login_required
def link_loan(request):
    today = timezone.localdate()
    verified = linking.email_verified(request.user)
    form = LinkLoanForm(request.POST or None)
    if request.method == "POST" and verified and form.is_valid():
        try:
            link = linking.loan_link(
                user=request.user,
                lender_id=form.cleaned_data["lender"].pk,
                loan_number=form.cleaned_data["loan_number"],
                billing_zip=form.cleaned_data["billing_zip"],
                vin_last6=form.cleaned_data["vin_last6"],
                today=today,
            )
        except linking.AccessError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Your {link.loan.vehicle} loan is linked.")
            return redirect("loan_detail", loan_id=link.loan_id)
    return render(request, "loans/link.html", {"form": form, "email_verified": verified})


@login_required
def loan_detail(request, loan_id: int):
    loan = loan_get_for_user(request.user, loan_id)
    if response := _only(request, "GET", "HEAD"):
        return response
    now = timezone.now()
    today = business_date(loan.lender, now)  # money: the lender's date, as the pay form
    detail = loan_detail_for(loan, today=today)
    way = on_the_way_at([loan], now=now)[loan.pk]  # the dashboard's: autopay, scheduled
    # Without ?page= the schedule opens at the page holding the next unpaid payment.
    next_unpaid_page = detail.summary.payments_made // SCHEDULE_PAGE_SIZE + 1
    page = Paginator(amortization_for(loan), SCHEDULE_PAGE_SIZE).get_page(
        request.GET.get("page") or next_unpaid_page
    )
    quote_form = PayoffQuoteForm(
        request.GET if "good_through" in request.GET else None,
        today=today,
        initial={"good_through": today},
    )
    quote = None
    if quote_form.is_bound and quote_form.is_valid():
        quote = payoff_quote(
            loan, today=today, good_through=quote_form.cleaned_data["good_through"]
        )
    return render(
        request,
        "loans/detail.html",
        {
            "loan": loan,
            "detail": detail,
            "s": detail.summary,
            "way": way,
            "schedule_page": page,
            "quote_form": quote_form,
            "quote": quote,
            "can_share": is_owner(loan.link_role),
            **loan_documents(loan),
        },
    )


@login_required
def payoff_letter(request, loan_id: int):
    loan = loan_get_for_user(request.user, loan_id)
    if response := _only(request, "GET", "HEAD"):
        return response
    today = business_date(loan.lender)  # money: the lender's date, as the pay form
    form = PayoffQuoteForm(request.GET, today=today)
    if not form.is_valid():
        raise Http404("Choose a valid pay-off date")
    quote = payoff_quote(loan, today=today, good_through=form.cleaned_data["good_through"])
    pdf = payoff_letter_pdf(
        loan, quote, borrower_name=request.user.get_full_name() or request.user.email
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"payoff-{loan.loan_number}-{quote.good_through.isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def what_if(request, loan_id: int):
    loan = loan_get_for_user(request.user, loan_id)
    if response := _only(request, "GET", "HEAD"):
        return response
    today = business_date(loan.lender)  # money: the lender's date, as the pay form
    form = SimulatorForm(request.GET if request.GET else None)
    comparison = error = None
    if form.is_bound and form.is_valid():
        options = WhatIf(
            extra_monthly=form.cleaned_data["extra_monthly"],
            one_off_extra=form.cleaned_data["one_off_extra"],
            biweekly=form.cleaned_data["biweekly"],
            defer_months=form.cleaned_data["defer_months"] or 0,
        )
        try:
            comparison = loan_what_if(loan, today=today, what_if=options)
        except SimulationError as exc:
            error = str(exc)
    return render(
        request,
        "loans/what_if.html",
        {"loan": loan, "form": form, "comparison": comparison, "error": error},
    )


@login_required
def sharing(request, loan_id: int):
    loan = loan_get_for_user(request.user, loan_id, need="owner")
    if response := _only(request, "GET", "HEAD", "POST"):
        return response
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invites.loan_invite(
                loan=loan,
                invited_by=request.user,
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
            )
        except linking.AccessError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("loan_sharing", loan_id=loan.pk)
    invitations = (
        LoanInvitation.objects.filter(loan=loan, revoked_at__isnull=True)
        .select_related("accepted_by")
        .order_by("-created_at")
    )
    return render(
        request, "loans/sharing.html", {"loan": loan, "form": form, "invitations": invitations}
    )


@login_required
def sharing_revoke(request, loan_id: int, invitation_id: int):
    loan = loan_get_for_user(request.user, loan_id, need="owner")
    if response := _only(request, "POST"):
        return response
    try:
        invitation = invites.loan_invitation_revoke(
            loan=loan, invitation_id=invitation_id, by=request.user
        )
    except LoanInvitation.DoesNotExist:
        raise Http404("No such invitation") from None
    messages.success(request, f"{invitation.email} no longer has access to this loan.")
    return redirect("loan_sharing", loan_id=loan.pk)


@login_required
def invitation_accept(request, token: str):
    error = invitation = None
    try:
        invitation = invites.invitation_from_token(token, user=request.user)
    except linking.AccessError as exc:
        error = str(exc)
    if request.method == "POST" and invitation is not None:
        try:
            link = invites.loan_invitation_accept(token=token, user=request.user)
        except linking.AccessError as exc:
            error = str(exc)
        else:
            messages.success(request, f"You now have access to the {link.loan.vehicle} loan.")
            return redirect("loan_detail", loan_id=link.loan_id)
    return render(
        request,
        "loans/invitation_accept.html",
        {"invitation": invitation, "error": error},
        status=400 if error else 200,
    )


@never_cache
@login_required
def calendar_settings(request):
    token = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            calendar_feeds.calendar_feed_revoke(user=request.user)
            messages.success(request, "Your calendar link was turned off.")
            return redirect("loan_calendar")
        token = calendar_feeds.calendar_feed_rotate(user=request.user)
    feed_url = (
        request.build_absolute_uri(reverse("loan_calendar_feed", args=[token])) if token else None
    )
    has_feed = token is not None or CalendarFeed.objects.filter(user=request.user).exists()
    return render(request, "loans/calendar.html", {"feed_url": feed_url, "has_feed": has_feed})


def calendar_feed(request, token: str):
    """The private .ics feed: no sign-in (calendar apps cannot), the token is the key."""
    user = calendar_feeds.calendar_feed_owner(token)
    if user is None:
        raise Http404("No such calendar")
    now = timezone.now()  # each loan's dates as of its lender's business date at this moment
    events = calendar_events_for_user(
        user, now=now, autopay_dates=autopay_dates_for_user(user, now=now)
    )
    body = ical.render_calendar(events, stamp=timezone.now(), name="Car loan payments")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
