"""Read-only inlines on the loan's admin page (issue 13, "Dashboard and search"): its payments
and its fee postings (assessed and waived). The ledger inline (every posting) stays in
loans/admin.py. All rows are written by services; staff only look.

Hook for collections: contact notes and account flags add their inlines to SERVICING_INLINES
(loans/admin.py puts the whole list on LoanAdmin, after the payments and fees).
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from payments.models import Payment

from .models import LoanPosting

FEE_KINDS = (LoanPosting.Kind.LATE_FEE, LoanPosting.Kind.NSF_FEE, LoanPosting.Kind.FEE_WAIVER)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LoanPaymentInline(_ReadOnlyInline):
    """The loan's payments, newest first, each linking to its own (audited) page."""

    model = Payment
    fk_name = "loan"
    verbose_name_plural = "payments"
    fields = (
        "payment_link",
        "effective_date",
        "amount",
        "channel",
        "method_label",
        "status",
        "payer_email",
    )
    readonly_fields = fields
    ordering = ("-created_at", "-pk")

    @admin.display(description="reference")
    def payment_link(self, payment):
        url = reverse("admin:payments_payment_change", args=[payment.pk])
        return format_html('<a href="{}">{}</a>', url, payment.reference)


class LoanFeePostingInline(_ReadOnlyInline):
    """Fees assessed (late, returned payment) and waived, from the ledger."""

    model = LoanPosting
    fk_name = "loan"
    verbose_name = "fee posting"
    verbose_name_plural = "fees assessed and waived"
    fields = ("effective_date", "kind", "fees", "installment_number", "created_by_label", "memo")
    readonly_fields = fields
    ordering = ("-effective_date", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind__in=FEE_KINDS)


# Collections (contact notes, account flags) append their inlines here.
SERVICING_INLINES: list[type[admin.options.InlineModelAdmin]] = [
    LoanPaymentInline,
    LoanFeePostingInline,
]
