"""Document pages. Every loan is resolved with `loan_get_for_user` first (another borrower
gets 404); a statement or year that is not this loan's is the same 404.

Who sees what (loans/permissions.py): anyone who may view the loan (owners, and invited
viewers and payers) may read its statements, as they already read its balances and history;
the paid-in-full letter is addressed to the owners, so it is theirs only (need="owner").
"""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone

from ismartpay.core.today import business_date
from loans.selectors import loan_get_for_user

from . import disclosures, pdf, selectors, services
from .payoff import paid_in_full


class PaperlessForm(forms.Form):
    agree = forms.BooleanField(
        label="I can open the PDF statements on this device and I agree to get my statements "
        "electronically instead of by mail.",
        error_messages={"required": "Check the box to turn on paperless statements."},
    )
    version = forms.CharField(widget=forms.HiddenInput)


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=1990)


def _name(user) -> str:
    return user.get_full_name() or user.email


def _pdf(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _get_only(request):
    return None if request.method in ("GET", "HEAD") else HttpResponseNotAllowed(["GET", "HEAD"])


@login_required
def statement_list(request, loan_id: int):
    loan = loan_get_for_user(request.user, loan_id)
    if response := _get_only(request):
        return response
    today = business_date(loan.lender)  # a year is over when the lender's is
    return render(
        request,
        "documents/statements.html",
        {
            "loan": loan,
            "statements": selectors.statements_for_loan(loan),
            "year_ends": selectors.year_ends_for_loan(loan),
            "paperless": selectors.paperless_consent_for(request.user),
            "year_form": YearForm(initial={"year": today.year - 1}),
            "last_year": today.year - 1,
        },
    )


@login_required
def statement(request, loan_id: int, statement_id: int):
    loan = loan_get_for_user(request.user, loan_id)
    if response := _get_only(request):
        return response
    row = selectors.statement_for_loan(loan, statement_id)
    if row is None:
        raise Http404("No such statement")
    lines = [{**line, "day": dt.date.fromisoformat(line["date"])} for line in row.lines]
    return render(
        request, "documents/statement.html", {"loan": loan, "statement": row, "lines": lines}
    )


@login_required
def statement_pdf(request, loan_id: int, statement_id: int):
    loan = loan_get_for_user(request.user, loan_id)
    if response := _get_only(request):
        return response
    row = selectors.statement_for_loan(loan, statement_id)
    if row is None:
        raise Http404("No such statement")
    body = pdf.statement_pdf(row, borrower_name=_name(request.user))
    return _pdf(body, f"statement-{loan.loan_number}-{row.period_end.isoformat()}.pdf")


@login_required
def year_end_request(request, loan_id: int):
    """Make (once) the year-end interest statement of a past year, then go to the list."""
    loan = loan_get_for_user(request.user, loan_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = YearForm(request.POST)
    if form.is_valid():
        try:
            services.year_end_make(
                loan_id=loan.pk, year=form.cleaned_data["year"], on=business_date(loan.lender)
            )
        except services.DocumentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"Your {form.cleaned_data['year']} interest statement is ready."
            )
    else:
        messages.error(request, "Choose a past year.")
    return redirect("documents:statements", loan_id=loan.pk)


@login_required
def year_end_pdf(request, loan_id: int, year: int):
    loan = loan_get_for_user(request.user, loan_id)
    if response := _get_only(request):
        return response
    row = selectors.year_end_for_loan(loan, year) if 1990 <= year <= 9999 else None
    if row is None:
        raise Http404("No such statement")
    body = pdf.year_end_pdf(row, borrower_name=_name(request.user))
    return _pdf(body, f"interest-{loan.loan_number}-{year}.pdf")


@login_required
def paid_in_full_pdf(request, loan_id: int):
    loan = loan_get_for_user(request.user, loan_id, need="owner")
    if response := _get_only(request):
        return response
    facts = paid_in_full(loan)
    if facts is None:
        raise Http404("This loan is not paid off")
    body = pdf.paid_in_full_pdf(
        facts,
        borrower_name=_name(request.user),
        title=selectors.title_release_for(loan),
        today=timezone.localdate(),
    )
    return _pdf(body, f"paid-in-full-{loan.loan_number}.pdf")


@login_required
def paperless(request):
    """The E-SIGN disclosure, the consent box, and withdrawal."""
    consent = selectors.paperless_consent_for(request.user)
    form = PaperlessForm(
        request.POST if request.POST.get("action") == "consent" else None,
        initial={"version": disclosures.VERSION},
    )
    if request.method == "POST":
        if request.POST.get("action") == "withdraw":
            services.paperless_consent_withdraw(user=request.user)
            messages.success(request, "Paperless is off: your statements will come by mail.")
            return redirect("documents:paperless")
        if form.is_valid():
            from accounts.audit import _client_ip

            try:
                services.paperless_consent_give(
                    user=request.user, version=form.cleaned_data["version"], ip=_client_ip(request)
                )
            except services.DocumentError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, "Paperless is on: we will email you when a statement is ready."
                )
                return redirect("documents:paperless")
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return render(
        request,
        "documents/paperless.html",
        {"consent": consent, "form": form, "disclosure": disclosures.TEXT},
    )
