"""Collections in the admin: the queue by bucket (the nightly snapshots), contact notes,
promises to pay and account flags. Every page checks its permission (403 otherwise), parses
with a form and calls one service in loans/collections.py, which writes the audit row. Rows
are never edited or deleted here: notes are append-only, a flag is ended with its own page."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from ismartpay.admin_forbidden import staff_refused
from ismartpay.admin_money import money_column
from ismartpay.core.free_text import NoCardNumbersInText
from ismartpay.core.submit_token import OneTimeTokenForm
from ismartpay.core.templatetags.ui import usd
from ismartpay.core.today import business_date
from payments.forms.staff_money import LoanField, loan_with_lender

from . import flags
from .admin_actions import lender_today
from .collections import (
    OPEN_LOAN,
    CollectionsError,
    account_flag_end,
    account_flag_set,
    contact_note_add,
    promise_add,
)
from .models import (
    AccountFlag,
    ContactNote,
    DelinquencySnapshot,
    Lender,
    LoanLink,
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
    """GET: the form; POST: the service, its refusal next to the field, or back to the list
    with `done` ("… for loan {loan}") as the message."""
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
    messages.success(request, "Flag recorded: another supervisor approves it.")
    return redirect(reverse("admin:loans_staffrequest_change", args=[outcome.request.pk]))


@admin.register(DelinquencySnapshot)
class CollectionsQueueAdmin(_ReadOnly):
    """The queue: each open loan's latest nightly snapshot that is past due, worst first."""

    # Fits 1280 px without sideways scrolling: the lender and the bucket are filters (the lender
    # is also the loan link's tooltip), the snapshot's date is the latest night's for every row,
    # the phone sits under the name.
    list_display = (
        "loan_link",
        "borrower",
        "days",
        "past_due",
        "last_contact",
        "promise",
        "work_links",
    )
    list_display_links = None
    list_filter = ("bucket", "loan__lender")
    search_fields = ("loan__loan_number", "loan__borrower_email")
    list_select_related = ("loan__lender",)
    ordering = ("-days_past_due", "loan_id")

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        extra = {"title": "Collections queue: loans past due", **(extra_context or {})}
        return super().changelist_view(request, extra)

    def get_queryset(self, request):
        latest = DelinquencySnapshot.objects.filter(loan=OuterRef("loan")).order_by(
            "-business_date"
        )
        note = ContactNote.objects.filter(loan=OuterRef("loan")).order_by("-created_at", "-pk")
        promise = PromiseToPay.objects.filter(loan=OuterRef("loan"), status="open")
        borrower = LoanLink.objects.filter(loan=OuterRef("loan"), role=LoanLink.Role.BORROWER)
        return (
            super()
            .get_queryset(request)
            .filter(business_date=Subquery(latest.values("business_date")[:1]))
            .filter(loan__status__in=OPEN_LOAN)
            .filter(~Q(bucket=DelinquencySnapshot.Bucket.CURRENT))
            .annotate(
                last_contact_at=Subquery(note.values("created_at")[:1]),
                last_contact_outcome=Subquery(note.values("outcome")[:1]),
                promise_date=Subquery(promise.values("promised_date")[:1]),
                promise_amount=Subquery(promise.values("amount")[:1]),
                borrower_name=Subquery(borrower.values("user__full_name")[:1]),
                borrower_user_email=Subquery(borrower.values("user__email")[:1]),
                borrower_user_phone=Subquery(borrower.values("user__phone")[:1]),
            )
        )

    @admin.display(description="Loan", ordering="loan__loan_number")
    def loan_link(self, obj):
        url = reverse("admin:loans_loan_change", args=[obj.loan_id])
        return format_html(
            '<a class="collections-nowrap" href="{}" title="{}">{}</a>',
            url,
            obj.loan.lender,
            obj.loan.loan_number,
        )

    @admin.display(description="Borrower", ordering="borrower_name")
    def borrower(self, obj):
        """The linked borrower's name (else their email, else the lender's email on file) and
        phone."""
        name = obj.borrower_name or obj.borrower_user_email or obj.loan.borrower_email or "—"
        phone = obj.borrower_user_phone or "no phone"
        return format_html('{}<br><span class="collections-quiet">{}</span>', name, phone)

    @admin.display(description="Days late", ordering="days_past_due")
    def days(self, obj):
        return format_html(
            '{}<br><span class="collections-quiet">{}</span>',
            obj.days_past_due,
            obj.get_bucket_display(),
        )

    @admin.display(description="Past due", ordering="amount_past_due")
    def past_due(self, obj):
        return usd(obj.amount_past_due)

    @admin.display(description="Last contact", ordering="last_contact_at")
    def last_contact(self, obj):
        if obj.last_contact_at is None:
            return "—"
        outcome = ContactNote.Outcome(obj.last_contact_outcome).label
        day = business_date(obj.loan.lender, now=obj.last_contact_at)
        return f"{day:%Y-%m-%d} ({outcome})"

    @admin.display(description="Promise to pay", ordering="promise_date")
    def promise(self, obj):
        if obj.promise_date is None:
            return "—"
        return format_html(
            '<span class="collections-nowrap">{} by {}</span>',
            usd(obj.promise_amount),
            f"{obj.promise_date:%Y-%m-%d}",
        )

    @admin.display(description="")
    def work_links(self, obj):
        query = urlencode({"loan_number": obj.loan.loan_number, "lender": obj.loan.lender_id})
        note = reverse("admin:loans_contactnote_add")
        promise = reverse("admin:loans_promisetopay_add")
        return format_html(
            '<a href="{}?{}">Note</a><br><a href="{}?{}">Promise</a>', note, query, promise, query
        )
