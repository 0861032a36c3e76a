"""Read-only inlines on the loan's admin page (issue 13, "Dashboard and search"): its payments
and its fee postings (assessed and waived). The ledger inline (every posting) stays in
loans/admin.py. All rows are written by services; staff only look.

Contact notes, promises and account flags (collections) follow; loans/admin.py puts the whole
SERVICING_INLINES list on LoanAdmin.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from ismartpay.admin_money import money_column
from payments.models import Payment

from .models import LoanPosting
from .models_collections import AccountFlag, ContactNote, PromiseToPay

FEE_KINDS = (LoanPosting.Kind.LATE_FEE, LoanPosting.Kind.NSF_FEE, LoanPosting.Kind.FEE_WAIVER)


def posting_author(label: str) -> str:
    """A posting's created_by_label for people: "user:7" -> the staff member's name and email;
    "system:autopay" -> "System (autopay)"."""
    kind, _, rest = label.partition(":")
    if kind == "user" and rest.isdigit():
        from accounts.models import User

        user = User.objects.filter(pk=int(rest)).only("email", "full_name").first()
        if user is None:
            return label
        return f"{user.full_name} ({user.email})" if user.full_name else user.email
    if kind == "system":
        return f"System ({rest})" if rest else "System"
    return label or "—"


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
        "amount_usd",
        "channel",
        "method_label",
        "status",
        "payer_email",
    )
    readonly_fields = fields
    ordering = ("-created_at", "-pk")

    amount_usd = money_column("amount")

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
    fields = ("effective_date", "kind", "fees_usd", "installment_number", "created_by", "memo")
    readonly_fields = fields
    ordering = ("-effective_date", "-pk")
    fees_usd = money_column("fees")

    @admin.display(description="created by")
    def created_by(self, posting):
        return posting_author(posting.created_by_label)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind__in=FEE_KINDS)


# Collections (contact notes, account flags) append their inlines here.
class LoanContactNoteInline(_ReadOnlyInline):
    """Collections contact notes, newest first (added from the collections queue)."""

    model = ContactNote
    verbose_name_plural = "Contact notes"
    fields = ("created_at", "channel", "outcome", "text", "author")
    readonly_fields = fields
    ordering = ("-created_at",)


class LoanPromiseInline(_ReadOnlyInline):
    model = PromiseToPay
    verbose_name_plural = "Promises to pay"
    fields = ("promised_date", "amount_usd", "status", "created_on", "created_by", "resolved_on")
    readonly_fields = fields
    ordering = ("-promised_date",)
    amount_usd = money_column("amount")


class LoanFlagInline(_ReadOnlyInline):
    """Account flags (hardship, SCRA, bankruptcy, deceased); set and ended from their admin."""

    model = AccountFlag
    verbose_name_plural = "Account flags"
    fields = ("kind", "start_date", "end_date", "reason", "set_by", "ended_by", "end_reason")
    readonly_fields = fields
    ordering = ("-start_date",)


SERVICING_INLINES: list[type[admin.options.InlineModelAdmin]] = [
    LoanPaymentInline,
    LoanFeePostingInline,
    LoanContactNoteInline,
    LoanPromiseInline,
    LoanFlagInline,
]
