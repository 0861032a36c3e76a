"""Staff tools for payments: find, inspect (audited), refund and reverse (supervisors only,
with a reason, audited). Payments are never edited directly: every change goes through a
service, which records a PaymentEvent."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.audit import AuditedAdminMixin, audit_record
from ismartpay.admin_dashboard import NoFullNumberSearchMixin
from ismartpay.admin_forbidden import staff_refused
from ismartpay.admin_money import money_column
from loans.admin_actions import payment_action_view

from . import admin_suspense  # noqa: F401 — registers SuspenseItemAdmin
from .admin_staff_money import StaffMoneyAdminMixin
from .admin_suspense import SuspenseItemAdmin  # noqa: F401  (registers the suspense pages)
from .autopay import admin as autopay_admin  # noqa: F401 — autopay plans, debits, job runs
from .errors import PaymentError
from .models import Notice, Payment, PaymentEvent, PaymentMethod
from .services import payment_review_approve, payment_review_reject
from .statuses import payment_staff_actions


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PaymentEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PaymentEvent
    extra = 0
    fields = ("at", "from_status", "to_status", "actor", "actor_label", "processor_ref", "detail")
    readonly_fields = fields


class StaffReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=10,
        help_text="Why: it goes into the audit log and the payment's history.",
    )


@admin.register(Payment)
class PaymentAdmin(
    NoFullNumberSearchMixin,
    StaffMoneyAdminMixin,
    AuditedAdminMixin,
    ReadOnlyAdminMixin,
    admin.ModelAdmin,
):
    list_display = (
        "reference",
        "loan",
        "payer_email",
        "amount_usd",
        "method_label",
        "status",
        "effective_date",
        "created_at",
    )
    # "Held for review" is the staff queue.
    list_filter = (
        "status",
        "source",
        "channel",
        "method_kind",
        "loan__lender",
        "effective_date",
    )
    search_fields = (
        "reference",
        "loan__loan_number",
        "loan__vin__iendswith",  # VIN last 6 (or the whole VIN)
        "payer_email",
        "payer__email",
        "payer__full_name",
        "payer__phone",
        "processor_ref",
        "channel_reference",
        "=method__last4",  # card/account last 4, exact; never more (NoFullNumberSearchMixin)
    )
    list_select_related = ("loan__lender",)
    date_hierarchy = "created_at"
    inlines = [PaymentEventInline]
    phone_search_fields = ("payer__phone",)
    readonly_fields = [f.name for f in Payment._meta.fields]
    change_form_template = "admin/payments/payment/change_form.html"
    change_list_template = "admin/payments/payment/change_list.html"
    amount_usd = money_column("amount")

    def has_change_permission(self, request, obj=None):  # viewing needs view permission only
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payment = self.get_object(request, object_id)
        actions = payment_staff_actions(payment) if payment is not None else {}
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "staff_actions": actions}
        )

    def get_urls(self):
        return [
            path(
                "<id:pk>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="payments_payment_refund",
            ),
            path(
                "<id:pk>/reverse/",
                self.admin_site.admin_view(self.reverse_view),
                name="payments_payment_reverse",
            ),
            path(
                "<id:pk>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="payments_payment_approve",
            ),
            path(
                "<id:pk>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="payments_payment_reject",
            ),
            *super().get_urls(),
        ]

    # Refunds and reversals go through four eyes (loans/staff_requests.py): at or below the
    # lender's threshold a supervisor acts alone; above it, or by an agent, it is a request.
    def refund_view(self, request, pk):
        return payment_action_view(self, request, pk, kind="refund")

    def reverse_view(self, request, pk):
        return payment_action_view(self, request, pk, kind="reverse")

    def approve_view(self, request, pk):
        return self._staff_action(
            request,
            pk,
            permission="payments.review_payment",
            action="payment.review_approve",
            service=payment_review_approve,
            title="Approve this held payment",
        )

    def reject_view(self, request, pk):
        return self._staff_action(
            request,
            pk,
            permission="payments.review_payment",
            action="payment.review_reject",
            service=payment_review_reject,
            title="Reject this held payment",
        )

    def _staff_action(self, request, pk, *, permission, action, service, title):
        if not request.user.has_perm(permission):
            raise staff_refused(permission)
        payment = get_object_or_404(Payment, pk=pk)
        form = StaffReasonForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            reason = form.cleaned_data["reason"]
            try:
                service(payment_id=payment.pk, reason=reason, actor=request.user)
            except PaymentError as exc:
                form.add_error(None, str(exc))
            else:
                audit_record(
                    actor=request.user,
                    action=action,
                    target=payment,
                    reason=reason,
                    request=request,
                    details={"amount": str(payment.amount)},
                )
                messages.success(request, f"{title}: done.")
                return redirect(reverse("admin:payments_payment_change", args=[payment.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "payment": payment,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/payments/payment/staff_action.html", context)


@admin.register(PaymentMethod)
class PaymentMethodAdmin(
    NoFullNumberSearchMixin, AuditedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    list_display = ("label", "owner", "kind", "is_default", "disabled_reason", "removed_at")
    list_filter = ("kind", "created_at")
    list_select_related = ("owner",)
    search_fields = ("owner__email", "owner__full_name", "owner__phone", "=last4")
    phone_search_fields = ("owner__phone",)
    # Never the account number, even encrypted: staff see the last 4 only.
    fields = (
        "owner",
        "kind",
        "last4",
        "brand",
        "exp_month",
        "exp_year",
        "funding",
        "holder_name",
        "routing_number",
        "account_type",
        "verified_at",
        "is_default",
        "disabled_reason",
        "removed_at",
        "created_at",
    )
    readonly_fields = fields


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "dedupe_key",
        "kind",
        "recipient",
        "created_at",
        "sent_at",
        "attempts",
        "last_error",
    )
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("dedupe_key", "recipient")
