from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from ismartpay.admin_dashboard import NoFullNumberSearchMixin
from ismartpay.admin_money import money_column

from .admin_actions import LoanServicingAdminMixin  # also registers StaffRequestAdmin
from .admin_inlines import SERVICING_INLINES, posting_author
from .forms import LoanImportForm
from .importing import import_loans
from .models import CalendarFeed, Lender, LinkAttempt, Loan, LoanInvitation, LoanLink, LoanPosting


def position_today(loan: Loan) -> dict:
    """Amount due, past due, days past due, next due date and amount, payoff and interest
    accrued on the lender's business date: the borrower dashboard's selector (loan_summary)."""
    from ismartpay.core.today import business_date

    from .selectors import loan_balances_on, loan_summary

    today = business_date(loan.lender)
    return {
        "position": loan_summary(loan, today=today),
        "position_on": today,
        "interest_today": loan_balances_on(loan, today).interest,
    }


@admin.register(Lender)
class LenderAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "cutoff_time", "grace_days", "late_fee_kind")
    search_fields = ("name",)


class LoanLinkInline(admin.TabularInline):
    model = LoanLink
    extra = 0
    raw_id_fields = ("user",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledger-like rows: staff may look, never add, edit or delete (services write them)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LoanPostingInline(admin.TabularInline):
    model = LoanPosting
    fk_name = "loan"
    extra = 0
    can_delete = False
    fields = (
        "effective_date",
        "kind",
        "fees_usd",
        "interest_usd",
        "principal_usd",
        "interest_accrued_usd",
        "principal_balance_after_usd",
        "created_by",
        "memo",
    )
    readonly_fields = fields
    fees_usd = money_column("fees")
    interest_usd = money_column("interest")
    principal_usd = money_column("principal")
    interest_accrued_usd = money_column("interest_accrued")
    principal_balance_after_usd = money_column("principal_balance_after", "balance after")

    @admin.display(description="created by")
    def created_by(self, posting):
        return posting_author(posting.created_by_label)

    ordering = ("-pk",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _money_name(name: str) -> str:
    return f"{name}_usd" if name in LOAN_MONEY_FIELDS else name


# The loan's dollar fields, shown on its page by money_column (LoanAdmin.<name>_usd).
LOAN_MONEY_FIELDS = (
    "original_principal",
    "installment_amount",
    "principal_balance",
    "accrued_interest",
    "unpaid_fees",
    "paid_toward_installments",
    "prior_payments_total",
    "prior_interest_paid",
    "prior_interest_paid_year",
    "prior_last_payment_amount",
    "ledger_last_payment_amount",
)


@admin.register(Loan)
class LoanAdmin(NoFullNumberSearchMixin, LoanServicingAdminMixin, admin.ModelAdmin):
    list_display = ("loan_number", "lender", "vehicle", "principal_balance_usd", "status")
    list_filter = ("status", "lender", "contract_date", "first_due_date")
    # Borrower email, name, phone; loan number; VIN (its last 6 match inside); a payment's
    # reference; the last 4 of a card or account that paid it (exact).
    search_fields = (
        "loan_number",
        "vin",
        "borrower_email",
        "links__user__email",
        "links__user__full_name",
        "links__user__phone",
        "=payments__reference",
        "=payments__method__last4",
    )
    list_select_related = ("lender",)
    inlines = [LoanLinkInline, *SERVICING_INLINES, LoanPostingInline]
    phone_search_fields = ("links__user__phone",)
    change_list_template = "admin/loans/loan/change_list.html"
    # Every field is read-only (LoanServicingAdminMixin): balances change only through the
    # ledger services, contract facts through loans/servicing.py, the import or the lender.

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The loan's page, with its position today (what the borrower sees, same selector)
        above the stored fields: the stored interest is only what was posted."""
        loan = self.get_object(request, object_id)
        extra = {**(extra_context or {}), **(position_today(loan) if loan is not None else {})}
        return super().change_view(request, object_id, form_url, extra)

    def get_readonly_fields(self, request, obj=None):
        """Every field read-only, money ones shown as usd ("$21,743.46", not "21743.46")."""
        return [_money_name(name) for name in super().get_readonly_fields(request, obj)]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="loans_loan_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Staff import of the lender's CSV: all rows or none, bad rows listed by line."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = LoanImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            result = import_loans(
                form.cleaned_data["text"], today=timezone.localdate(), actor=request.user
            )
            if result.ok:
                messages.success(
                    request,
                    f"Imported {result.created} new and {result.updated} updated loan(s).",
                )
                return redirect("admin:loans_loan_changelist")
            errors = result.errors
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import servicing records",
            "form": form,
            "row_errors": errors,
        }
        return TemplateResponse(request, "admin/loans/loan/import.html", context)


for _name in LOAN_MONEY_FIELDS:
    setattr(
        LoanAdmin, f"{_name}_usd", money_column(_name, Loan._meta.get_field(_name).verbose_name)
    )


@admin.register(LoanPosting)
class LoanPostingAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "loan",
        "kind",
        "effective_date",
        "fees_usd",
        "interest_usd",
        "principal_usd",
    )
    fees_usd = money_column("fees")
    interest_usd = money_column("interest")
    principal_usd = money_column("principal")
    exclude = ("created_by_label",)  # shown by name: created_by
    readonly_fields = ("created_by",)
    list_filter = ("kind",)

    @admin.display(description="created by")
    def created_by(self, posting):
        return posting_author(posting.created_by_label)

    search_fields = ("loan__loan_number", "external_ref", "idempotency_key")
    list_select_related = ("loan", "loan__lender")


@admin.register(LoanInvitation)
class LoanInvitationAdmin(ReadOnlyAdmin):
    list_display = ("loan", "email", "role", "invited_by", "accepted_by", "revoked_at")
    list_select_related = ("loan", "loan__lender", "invited_by", "accepted_by")


@admin.register(LinkAttempt)
class LinkAttemptAdmin(ReadOnlyAdmin):
    list_display = ("user", "day", "failures")


admin.site.register(CalendarFeed, ReadOnlyAdmin)
# Registered on import: borrowers' requests; notes, promises, flags; the collections queue.
from . import admin_borrower_requests, admin_collections, admin_collections_queue  # noqa: E402, F401
