"""Borrower requests: change the due date, defer a payment. GET ?choice shows the quote; POST
submits it (approved at once when the rules allow, else sent to staff)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from . import borrower_requests as br
from .admin_actions import lender_today
from .permissions import is_owner
from .selectors import loan_get_for_user

EXTENSION_MONTH_CHOICES = [(1, "1 month"), (2, "2 months"), (3, "3 months")]


class DueDayRequestForm(forms.Form):
    due_day = forms.TypedChoiceField(
        label="New due day",
        coerce=int,
        choices=[("", "Choose a day")] + [(d, f"Day {d} of each month") for d in range(1, 29)],
        help_text="Any day from the 1st to the 28th.",
    )


class ExtensionRequestForm(forms.Form):
    months = forms.TypedChoiceField(
        label="Defer my next payment by", coerce=int, choices=EXTENSION_MONTH_CHOICES
    )


def _owned_loan(request, loan_id: int):
    loan = loan_get_for_user(request.user, loan_id)
    if not is_owner(loan.link_role):
        raise Http404("Only the borrower can change the loan's terms")
    return loan


def _request_page(request, loan_id: int, *, kind: str):
    loan = _owned_loan(request, loan_id)
    today = lender_today(loan)
    form_class, field, quote_fn, template = {
        "due_day": (DueDayRequestForm, "due_day", br.due_day_quote, "due_day"),
        "extension": (ExtensionRequestForm, "months", br.extension_quote, "extension"),
    }[kind]
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = form_class(data)
    quote = None
    if form.is_bound and form.is_valid():
        choice = form.cleaned_data[field]
        arg = "new_due_day" if kind == "due_day" else "months"
        try:
            if request.method == "POST":
                done = br.borrower_request_submit(
                    user=request.user, loan_id=loan.pk, kind=kind, today=today, **{field: choice}
                )
                if done.status == done.Status.APPLIED:
                    messages.success(request, "Done. Your new terms are below; we emailed them.")
                else:
                    messages.info(request, "Sent to our team. We'll email you the answer.")
                return redirect("loan_detail", loan.pk)
            quote = quote_fn(loan, today=today, **{arg: choice})
        except br.RequestRefused as exc:
            form.add_error(field, str(exc))
    return render(
        request,
        f"loans/request_{template}.html",
        {
            "loan": loan,
            "form": form,
            "quote": quote,
            "pending": loan.borrower_requests.filter(kind=kind, status="pending").first(),
        },
    )


@login_required
def due_day_change(request, loan_id: int):
    return _request_page(request, loan_id, kind="due_day")


@login_required
def extension(request, loan_id: int):
    return _request_page(request, loan_id, kind="extension")
