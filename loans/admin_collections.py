"""Collections in the admin: contact notes, promises to pay and account flags (the queue by
bucket is admin_collections_queue.py). Every page checks its permission (403 otherwise), parses
with a form and calls one service in loans/collections.py, which writes the audit row. Rows
are never edited or deleted here: notes are append-only, a flag is ended with its own page."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from ismartpay.admin_forbidden import staff_refused
from ismartpay.admin_money import money_column
from ismartpay.core.free_text import NoCardNumbersInText
from ismartpay.core.submit_token import OneTimeTokenForm
from payments.forms.staff_money import LoanField, loan_with_lender

from . import flags
from .admin_actions import lender_today
from .collections import (
    CollectionsError,
    account_flag_end,
    account_flag_set,
    contact_note_add,
    promise_add,
)
from .models import (
    AccountFlag,
    ContactNote,
    Lender,
    PromiseToPay,
    StaffRequest,
)
from .staff_requests import StaffActionError, StaffActionNotAllowed, staff_action_submit

CONTACT_PERMISSION = "loans.record_contact"
FLAG_PERMISSION = "loans.manage_account_flags"


class _ReadOnly(admin.ModelAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _LoanByNumberForm(NoCardNumbersInText, forms.Form):
    """The loan by its number (and lender, when two lenders share it), as on the staff money
    forms (payments/forms/staff_money.py); cleaned_data["loan"] is the Loan."""

    loan_number = LoanField(max_length=40)
    lender = forms.ModelChoiceField(
        Lender.objects.order_by("name"),
        required=False,
        help_text="Only when two lenders use the same loan number.",
    )

    def clean(self):
        data = super().clean()
        if "loan_number" in self.data:
            data["loan"] = loan_with_lender(self)
        return data


class ContactNoteForm(_LoanByNumberForm):
    channel = forms.ChoiceField(choices=ContactNote.Channel.choices)
    outcome = forms.ChoiceField(choices=ContactNote.Outcome.choices)
    text = forms.CharField(widget=forms.Textarea, max_length=5000)


class PromiseForm(_LoanByNumberForm):
    promised_date = forms.DateField(help_text="YYYY-MM-DD")
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0)


class FlagForm(_LoanByNumberForm, OneTimeTokenForm):
    kind = forms.ChoiceField(choices=AccountFlag.Kind.choices, label="Flag")
    start_date = forms.DateField(help_text="YYYY-MM-DD")
    end_date = forms.DateField(
        required=False, help_text="Blank: until ended (not for hardship: give its last day)"
    )
    reason = forms.CharField(widget=forms.Textarea, min_length=10)


class FlagEndForm(NoCardNumbersInText, forms.Form):
    end_date = forms.DateField(help_text="The flag's last day, YYYY-MM-DD")
    reason = forms.CharField(widget=forms.Textarea, min_length=10)


def _loan_initial(request) -> dict:
    """The loan the page was opened for (?loan_number=…&lender=…, the loan page's buttons)."""
    return {key: request.GET[key] for key in ("loan_number", "lender") if key in request.GET}


def _form_page(model_admin, request, form_class, call, *, title, done, initial=None, flag=None):
    """GET: the form; POST: the service, its refusal next to the field, or back to the loan's
    page (where the note, promise or flag now shows; new-user review, round 2) with `done`
    ("… for loan {loan}") as the message."""
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            response = call(form.cleaned_data)
        except (CollectionsError, StaffActionError) as exc:
            field = getattr(exc, "field", None) or getattr(exc.__cause__, "field", None)
            form.add_error(field if field in form.fields else None, str(exc))
        else:
            if isinstance(response, HttpResponse):  # a request waiting for a supervisor
                return response
            loan = form.cleaned_data.get("loan") or (flag.loan if flag else None)
            messages.success(request, done.format(loan=loan.loan_number if loan else ""))
            if loan is not None:  # back to the loan, where the note, promise or flag now shows
                return redirect(reverse("admin:loans_loan_change", args=[loan.pk]))
            return redirect(reverse(f"admin:loans_{model_admin.model._meta.model_name}_changelist"))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "form": form,
        "flag": flag,
        "cancel_url": reverse(f"admin:loans_{model_admin.model._meta.model_name}_changelist"),
    }
    return TemplateResponse(request, "admin/loans/collections_form.html", context)


@admin.register(ContactNote)
class ContactNoteAdmin(_ReadOnly):
    list_display = ("created_at", "loan", "channel", "outcome", "author", "text")
    list_filter = ("channel", "outcome", "loan__lender")
    search_fields = ("loan__loan_number", "text")
    list_select_related = ("loan__lender", "author")

    def has_add_permission(self, request):
        return request.user.has_perm(CONTACT_PERMISSION)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise staff_refused(CONTACT_PERMISSION)
        return _form_page(
            self,
            request,
            ContactNoteForm,
            lambda d: contact_note_add(
                loan_id=d["loan"].pk,
                channel=d["channel"],
                outcome=d["outcome"],
                text=d["text"],
                actor=request.user,
            ),
            title="Add a contact note",
            done="Contact note saved for loan {loan}.",
            initial=_loan_initial(request),
        )


@admin.register(PromiseToPay)
class PromiseToPayAdmin(_ReadOnly):
    list_display = (
        "loan",
        "amount_usd",
        "promised_date",
        "status",
        "paid_amount_usd",
        "created_by",
    )
    amount_usd = money_column("amount")
    paid_amount_usd = money_column("paid_amount", "paid")
    list_filter = ("status", "loan__lender")
    search_fields = ("loan__loan_number",)
    list_select_related = ("loan__lender", "created_by")

    def has_add_permission(self, request):
        return request.user.has_perm(CONTACT_PERMISSION)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise staff_refused(CONTACT_PERMISSION)

        def call(d):
            promise_add(
                loan_id=d["loan"].pk,
                promised_date=d["promised_date"],
                amount=d["amount"],
                actor=request.user,
                on=lender_today(d["loan"]),
            )

        return _form_page(
            self,
            request,
            PromiseForm,
            call,
            title="Record a promise to pay",
            done="Promise to pay recorded for loan {loan}.",
            initial=_loan_initial(request),
        )


@admin.register(AccountFlag)
class AccountFlagAdmin(_ReadOnly):
    list_display = ("loan", "kind", "start_date", "end_date", "set_by", "ended_by", "end_link")
    list_filter = ("kind", "loan__lender")
    search_fields = ("loan__loan_number",)
    list_select_related = ("loan__lender", "set_by", "ended_by")

    def has_add_permission(self, request):
        return request.user.has_perm(FLAG_PERMISSION)

    @admin.display(description="End")
    def end_link(self, obj):
        if obj.ended_by_id:
            return "ended"
        return format_html(
            '<a href="{}">End…</a>', reverse("admin:loans_accountflag_end", args=[obj.pk])
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/end/",
                self.admin_site.admin_view(self.end_view),
                name="loans_accountflag_end",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise staff_refused(FLAG_PERMISSION)
        return _form_page(
            self,
            request,
            FlagForm,
            lambda d: _flag_set(request, d),
            title="Set an account flag",
            done="Account flag set on loan {loan}.",
            initial=_loan_initial(request),
        )

    def end_view(self, request, pk):
        if not request.user.has_perm(FLAG_PERMISSION):
            raise staff_refused(FLAG_PERMISSION)
        flag = get_object_or_404(
            AccountFlag.objects.select_related("loan__lender", "set_by"), pk=pk
        )
        return _form_page(
            self,
            request,
            FlagEndForm,
            lambda d: account_flag_end(
                flag_id=flag.pk, end_date=d["end_date"], reason=d["reason"], actor=request.user
            ),
            title=f"End the {flag.get_kind_display().lower()} flag",
            done=f"{flag.get_kind_display()} flag ended on loan {{loan}}.",
            flag=flag,
        )


def _flag_set(request, d):
    """A flag that changes money (hardship, military) becomes a request another supervisor
    approves (loans/flags.py CHANGES_MONEY); bankruptcy and deceased are set at once."""
    if d["kind"] not in flags.CHANGES_MONEY:
        account_flag_set(
            loan_id=d["loan"].pk,
            kind=d["kind"],
            start_date=d["start_date"],
            end_date=d["end_date"],
            reason=d["reason"],
            actor=request.user,
        )
        return None
    try:
        outcome = staff_action_submit(
            kind=StaffRequest.Kind.ACCOUNT_FLAG,
            loan_id=d["loan"].pk,
            reason=d["reason"],
            actor=request.user,
            on=lender_today(d["loan"]),
            params={"flag": d["kind"], "start_date": d["start_date"], "end_date": d["end_date"]},
            token=d["submit_token"],
        )
    except StaffActionNotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.info(request, "Flag recorded: another supervisor approves it.")
    return redirect(reverse("admin:loans_staffrequest_change", args=[outcome.request.pk]))
