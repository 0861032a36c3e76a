"""Staff servicing actions in the admin: waive a fee, credit, refund or reverse a payment (with
four eyes above the lender's threshold, loans/staff_requests.py), decide requests, and change a
loan's due day, term or rate (loans/servicing.py). Every action needs its permission (else 403),
a reason, and writes one audit row. `LoanServicingAdminMixin` makes the loan's change form
read-only: its facts change only through these services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.audit import AuditedAdminMixin, audit_record
from ismartpay.admin_money import money_column
from ismartpay.core.today import business_date

from . import admin_forms as f
from .admin_submit import staff_form_submit
from .four_eyes import snapshot
from .four_eyes_rule import (
    ACT_PERMISSION,
    APPROVE_PERMISSION,
    REQUEST_PERMISSION,
    done_alone_today,
)
from .models import Loan, StaffRequest
from .selectors import loan_balances_on
from .servicing import ServicingError, loan_change_due_day, loan_change_term
from .staff_request_kinds import page_figures
from .staff_requests import (
    FormAlreadyUsed,
    StaffActionError,
    preview,
    request_lender,
    staff_request_approve,
    staff_request_reject,
)

K = StaffRequest.Kind
TERMS_PERMISSION = "loans.change_loan_terms"


def lender_today(loan: Loan | None):
    """The business date in the lender's timezone (the edge where the clock is read); the
    default time zone's for money no loan was matched to."""
    from ismartpay.core.today import business_date

    return business_date(loan.lender if loan is not None else None)


def _may_submit(user, kind: str) -> bool:
    return user.has_perm(ACT_PERMISSION[kind]) or user.has_perm(REQUEST_PERMISSION)


def _render(model_admin, request, template, **context):
    context = {**model_admin.admin_site.each_context(request), **context}
    context.setdefault("opts", model_admin.model._meta)
    return TemplateResponse(request, template, context)


def _amount_error_field(exc, form) -> str | None:
    """A refusal belongs next to the amount, unless the form has none or was already used."""
    return None if isinstance(exc, FormAlreadyUsed) or "amount" not in form.fields else "amount"


def money_action_view(model_admin, request, *, kind: str, loan: Loan, payment=None):
    """One page for the four money actions: the form, the balances it would change, and on
    POST either done (audited) or a pending request (audited), or the refusal as a message."""
    if not _may_submit(request.user, kind):
        raise PermissionDenied
    on = lender_today(loan)
    form_class = f.PaymentActionForm if payment is not None else f.MoneyActionForm
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        outcome = staff_form_submit(
            form,
            error_field=_amount_error_field,
            kind=kind,
            loan_id=loan.pk,
            payment_id=payment.pk if payment is not None else None,
            amount=form.cleaned_data.get("amount"),
            reason=reason,
            actor=request.user,
            on=on,
            token=form.cleaned_data["submit_token"],
        )
        if outcome is not None:
            return _submitted(
                request, outcome, kind=kind, loan=loan, payment=payment, reason=reason
            )
    return _render(
        model_admin,
        request,
        "admin/loans/staff_action.html",
        title=f"{K(kind).label} — loan {loan.loan_number}",
        loan=loan,
        payment=payment,
        form=form,
        **_balances(kind, loan, payment, on),
        threshold=loan.lender.four_eyes_threshold,
        acts_alone=request.user.has_perm(ACT_PERMISSION[kind]),
        done_today=done_alone_today(kind, loan, on),
        done_today_label=K(kind).label,
    )


def _balances(kind: str, loan: Loan, payment, on) -> dict:
    """The page's figures: the loan's balances on the business date `on` (interest accrued to
    it, as the request preview and the loan page's "Position today" show them: one selector,
    not the stored columns), and for a payment action what it would change."""
    before = after = None
    if payment is not None:
        balances = preview(kind=kind, loan=loan, amount=payment.amount, on=on, payment=payment)
        before, after = (snapshot(b) for b in balances)
    return {
        "on": on,
        "balances_on": loan_balances_on(loan, on),
        "before": before,
        "after": after,
    }


def _submitted(request, outcome, *, kind: str, loan: Loan, payment, reason: str):
    """Where the person goes after a submit: the pending request, or back to what was done
    (audited here unless it was a replay of an earlier submit)."""
    if outcome.request is not None:  # the service audited it (staff_request.create)
        messages.info(request, "Request recorded: a supervisor other than you approves it.")
        return redirect(reverse("admin:loans_staffrequest_change", args=[outcome.request.pk]))
    if not outcome.replayed:
        audit_record(
            actor=request.user,
            action=f"{'payment' if payment is not None else 'loan'}.{kind}",
            target=payment if payment is not None else loan,
            reason=reason,
            request=request,
            details={
                "amount": str(outcome.done.amount),
                "posting": outcome.posting.pk if outcome.posting else None,
            },
        )
    messages.success(request, f"{K(kind).label}: done.")
    if payment is not None:
        return redirect(reverse("admin:payments_payment_change", args=[payment.pk]))
    return redirect(reverse("admin:loans_loan_change", args=[loan.pk]))


def payment_action_view(model_admin, request, pk, *, kind: str):
    """PaymentAdmin's refund and reverse pages (payments/admin.py delegates here)."""
    from payments.models import Payment

    payment = get_object_or_404(Payment.objects.select_related("loan__lender"), pk=pk)
    return money_action_view(model_admin, request, kind=kind, loan=payment.loan, payment=payment)


TERM_CHANGES = {
    "due_day": (f.DueDayForm, loan_change_due_day, "loan.change_due_day", "Change the due day"),
    "term": (f.TermForm, loan_change_term, "loan.change_term", "Change the maturity (term)"),
}


class LoanServicingAdminMixin(AuditedAdminMixin):
    """For LoanAdmin: every field read-only; money and term changes through their pages."""

    change_form_template = "admin/loans/loan/servicing_change_form.html"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Loan._meta.concrete_fields]

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing on the loan row is editable here; links (inlines) are saved
        super().save_model(request, obj, form, change)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<id:pk>/waive-fee/", wrap(self.waive_fee_view), name="loans_loan_waive_fee"),
            path("<id:pk>/credit/", wrap(self.credit_view), name="loans_loan_credit"),
            path("<id:pk>/rate/", wrap(self.rate_view), name="loans_loan_rate"),
            *[
                path(f"<id:pk>/{name}/", wrap(self._terms_view(name)), name=f"loans_loan_{name}")
                for name in TERM_CHANGES
            ],
            *super().get_urls(),
        ]

    def waive_fee_view(self, request, pk):
        loan = get_object_or_404(Loan.objects.select_related("lender"), pk=pk)
        return money_action_view(self, request, kind=K.WAIVE_FEE, loan=loan)

    def credit_view(self, request, pk):
        loan = get_object_or_404(Loan.objects.select_related("lender"), pk=pk)
        return money_action_view(self, request, kind=K.CREDIT, loan=loan)

    def rate_view(self, request, pk):
        """A rate change always waits for a second supervisor (a contract change): this page
        records the request; approving it runs loan_change_rate (loans/staff_requests.py)."""
        if not request.user.has_perm(TERMS_PERMISSION):
            raise PermissionDenied
        loan = get_object_or_404(Loan.objects.select_related("lender"), pk=pk)
        form = f.RateForm(
            request.POST if request.method == "POST" else None,
            initial={"apr_percent": loan.apr_percent},
        )
        if request.method == "POST" and form.is_valid():
            outcome = staff_form_submit(
                form,
                error_field=lambda exc, _form: "apr_percent" if "APR" in str(exc) else None,
                kind=K.RATE_CHANGE,
                loan_id=loan.pk,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                on=lender_today(loan),
                params={"apr_percent": form.cleaned_data["apr_percent"]},
                token=form.cleaned_data["submit_token"],
            )
            if outcome is not None:
                messages.info(request, "Rate change recorded: another supervisor approves it.")
                return redirect(
                    reverse("admin:loans_staffrequest_change", args=[outcome.request.pk])
                )
        return _render(
            self,
            request,
            "admin/loans/loan_terms.html",
            title=f"Change the APR — loan {loan.loan_number}",
            loan=loan,
            form=form,
        )

    def _terms_view(self, name):
        form_class, service, action, title = TERM_CHANGES[name]
        field = next(iter(form_class.base_fields))

        def view(request, pk):
            if not request.user.has_perm(TERMS_PERMISSION):
                raise PermissionDenied
            loan = get_object_or_404(Loan.objects.select_related("lender"), pk=pk)
            form = form_class(
                request.POST if request.method == "POST" else None,
                initial={field: getattr(loan, field)},
            )
            if request.method == "POST" and form.is_valid():
                reason = form.cleaned_data["reason"]
                try:
                    _result, change = service(
                        loan_id=loan.pk,
                        reason=reason,
                        actor=request.user,
                        on=lender_today(loan),
                        **{field: form.cleaned_data[field]},
                    )
                except ServicingError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, str(exc))
                except ValueError as exc:  # e.g. an autopay debit in flight
                    form.add_error(None, str(exc))
                else:
                    audit_record(
                        actor=request.user,
                        action=action,
                        target=loan,
                        reason=reason,
                        request=request,
                        details=change,
                    )
                    messages.success(request, f"{title}: done.")
                    return redirect(reverse("admin:loans_loan_change", args=[loan.pk]))
            return _render(
                self,
                request,
                "admin/loans/loan_terms.html",
                title=f"{title} — loan {loan.loan_number}",
                loan=loan,
                form=form,
            )

        return view


@admin.register(StaffRequest)
class StaffRequestAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The four-eyes queue: filter by status; a request's page shows what will change."""

    list_display = (
        "number",
        "kind",
        "loan",
        "amount_usd",
        "status",
        "acted_alone",
        "requested_by",
        "business_date",
    )
    list_filter = ("status", "acted_alone", "kind", "loan__lender")
    search_fields = ("loan__loan_number", "requested_by__email", "reason")
    list_select_related = ("loan__lender", "requested_by")
    # What a supervisor decides on; the figures and params are shown by the page's template,
    # the one-time form key and its fingerprint are internals (never shown).
    fields = readonly_fields = (
        "kind",
        "loan",
        "lender",
        "payment",
        "amount_usd",
        "reason",
        "status",
        "acted_alone",
        "requested_by",
        "business_date",
        "decided_by",
        "decided_at",
        "decision_note",
        "posting",
        "created_at",
    )
    amount_usd = money_column("amount")

    @admin.display(description="Request", ordering="pk")
    def number(self, obj):
        return f"#{obj.pk}"

    change_form_template = "admin/loans/staffrequest/change_form.html"

    def has_add_permission(self, request):
        return False  # requests are made from the loan's or the payment's page

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(REQUEST_PERMISSION) or request.user.has_perm(
            APPROVE_PERMISSION
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The request's page, with its figures now (or as done) beside those requested."""
        staff_request = self.get_object(request, object_id)
        figures = {}
        if staff_request is not None:
            figures = page_figures(staff_request, lender_today(staff_request.loan))
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), **figures}
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<id:pk>/approve/", wrap(self.approve_view), name="loans_staffrequest_approve"),
            path("<id:pk>/reject/", wrap(self.reject_view), name="loans_staffrequest_reject"),
            *super().get_urls(),
        ]

    def approve_view(self, request, pk):
        return self._decide(request, pk, approve=True)

    def reject_view(self, request, pk):
        return self._decide(request, pk, approve=False)

    def _decide(self, request, pk, *, approve: bool):
        if not request.user.has_perm(APPROVE_PERMISSION):
            raise PermissionDenied
        staff_request = get_object_or_404(
            StaffRequest.objects.select_related("loan__lender", "lender"), pk=pk
        )
        if request.method != "POST":
            return redirect(reverse("admin:loans_staffrequest_change", args=[pk]))
        form = f.DecisionForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        try:
            if approve:
                done = staff_request_approve(
                    request_id=pk,
                    actor=request.user,
                    on=business_date(request_lender(staff_request)),
                    note=note,
                )
            else:
                done = staff_request_reject(request_id=pk, actor=request.user, note=note)
        except StaffActionError as exc:
            messages.error(request, str(exc))
        else:
            audit_record(
                actor=request.user,
                action="staff_request.approve" if approve else "staff_request.reject",
                target=done,
                reason=note or done.reason,
                request=request,
                details={
                    "kind": done.kind,
                    "amount": str(done.amount),
                    "requested_by": done.requested_by_id,
                    "posting": done.posting_id,
                },
            )
            messages.success(request, "Approved and done." if approve else "Rejected.")
        return redirect(reverse("admin:loans_staffrequest_change", args=[pk]))
