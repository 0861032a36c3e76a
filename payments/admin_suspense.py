"""Suspense (unapplied funds) in the admin: the items with the total still held, and the apply
and refund pages. Both go through four eyes above the lender's threshold (loans/
staff_requests.py, kinds `suspense_apply` and `suspense_refund`); at or below it they are done
at once and count against the day's total. Behind the admin's second factor."""

from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery, Sum
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from ismartpay.admin_forbidden import staff_refused
from ismartpay.admin_money import money_column
from ismartpay.core.money import ZERO
from loans.admin_actions import lender_today
from loans.admin_submit import staff_form_submit
from loans.models import StaffRequest

from .admin_staff_money import MANAGE_SUSPENSE, requested
from .forms.staff_money import SuspenseApplyForm, SuspenseRefundForm, field_for_error
from .models import SuspenseAction, SuspenseItem

K = StaffRequest.Kind


class SuspenseActionInline(admin.TabularInline):
    model = SuspenseAction
    extra = 0
    fields = ("at", "kind", "amount_usd", "loan", "payment", "refund_reference", "actor", "reason")
    readonly_fields = fields
    can_delete = False
    amount_usd = money_column("amount")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SuspenseItemAdmin(admin.ModelAdmin):
    """Unapplied funds: listed with the total still held; apply/refund per item."""

    list_display = (
        "pk",
        "received_on",
        "amount_usd",
        "balance_usd",
        "reason",
        "channel",
        "reference",
        "lender",
        "loan_shown",
        "status",
    )
    list_filter = ("status", "reason", "channel", "lender")
    search_fields = ("reference", "loan__loan_number", "payment__reference", "note")
    readonly_fields = [f.name for f in SuspenseItem._meta.fields]
    inlines = [SuspenseActionInline]
    change_form_template = "admin/payments/suspenseitem/change_form.html"
    change_list_template = "admin/payments/suspenseitem/change_list.html"
    amount_usd = money_column("amount")
    balance_usd = money_column("balance", "held")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        applied = SuspenseAction.objects.filter(
            item=OuterRef("pk"), kind=SuspenseAction.Kind.APPLIED, loan__isnull=False
        )
        return (
            super()
            .get_queryset(request)
            .select_related("loan")
            .annotate(applied_to=Subquery(applied.order_by("pk").values("loan__loan_number")[:1]))
        )

    @admin.display(description="loan", ordering="loan__loan_number")
    def loan_shown(self, item):
        """The loan it was meant for; else the loan it was applied to (an unmatched line)."""
        if item.loan_id:
            return item.loan
        return f"Applied to {item.applied_to}" if item.applied_to else "—"

    def changelist_view(self, request, extra_context=None):
        held = SuspenseItem.objects.aggregate(total=Sum("balance"))["total"] or ZERO
        return super().changelist_view(request, {**(extra_context or {}), "suspense_balance": held})

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<id:pk>/apply/", view(self.apply_view), name="payments_suspenseitem_apply"),
            path("<id:pk>/refund/", view(self.refund_view), name="payments_suspenseitem_refund"),
            *super().get_urls(),
        ]

    def _page(self, request, item, *, title, form):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "intro": str(item),
            "opts": SuspenseItem._meta,
        }
        return TemplateResponse(request, "admin/payments/staff_money_form.html", context)

    def apply_view(self, request, pk):
        if not request.user.has_perm(MANAGE_SUSPENSE):
            raise staff_refused(MANAGE_SUSPENSE)
        item = get_object_or_404(SuspenseItem, pk=pk)
        form = SuspenseApplyForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and form.cleaned_data.get("loan"):
            loan = form.cleaned_data["loan"]
            outcome = staff_form_submit(
                form,
                error_field=field_for_error,
                kind=K.SUSPENSE_APPLY,
                loan_id=loan.pk,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                on=lender_today(loan),
                params={"item": item.pk},
                token=form.cleaned_data["submit_token"],
            )
            if outcome is not None:
                if outcome.request is not None:
                    return requested(request, outcome)
                messages.success(request, "Applied.")
                return redirect(reverse("admin:payments_suspenseitem_change", args=[item.pk]))
        return self._page(request, item, title="Apply to a loan", form=form)

    def refund_view(self, request, pk):
        if not request.user.has_perm(MANAGE_SUSPENSE):
            raise staff_refused(MANAGE_SUSPENSE)
        item = get_object_or_404(SuspenseItem, pk=pk)
        form = SuspenseRefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            outcome = staff_form_submit(
                form,
                error_field=_refund_error_field,
                kind=K.SUSPENSE_REFUND,
                loan_id=item.loan_id,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                on=lender_today(item.loan),
                params={"item": item.pk, "reference": form.cleaned_data["reference"]},
                token=form.cleaned_data["submit_token"],
            )
            if outcome is not None:
                if outcome.request is not None:
                    return requested(request, outcome)
                messages.success(request, "Refunded.")
                return redirect(reverse("admin:payments_suspenseitem_change", args=[item.pk]))
        return self._page(request, item, title="Refund", form=form)


admin.site.register(SuspenseItem, SuspenseItemAdmin)


def _refund_error_field(exc, form) -> str | None:
    """A refund of money received in hand needs the outgoing check or wire number."""
    return "reference" if "outgoing" in str(exc) else field_for_error(exc, form)
