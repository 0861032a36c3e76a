"""Borrowers' requests in the admin (due-date changes and extensions): the pending ones are
approved or rejected here, through loans/borrower_requests.py."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from accounts.audit import AuditedAdminMixin

from .admin_actions import TERMS_PERMISSION, lender_today
from .borrower_requests import borrower_request_decide
from .models import BorrowerRequest


@admin.register(BorrowerRequest)
class BorrowerRequestAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Borrowers' due-date changes and extensions; the pending ones wait for a decision here.
    Approving runs the same servicing service as the automatic path (loans/borrower_requests)."""

    list_display = ("pk", "kind", "loan", "due_day", "months", "status", "created_at")
    list_filter = ("status", "kind", "loan__lender")
    search_fields = ("loan__loan_number", "requested_by__email")
    list_select_related = ("loan__lender",)
    readonly_fields = [field.name for field in BorrowerRequest._meta.concrete_fields]
    actions = ["approve_selected", "reject_selected"]

    def has_add_permission(self, request):
        return False  # borrowers ask in the portal

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, *, approve: bool):
        if not request.user.has_perm(TERMS_PERMISSION):
            raise PermissionDenied
        for pending in queryset.filter(status=BorrowerRequest.Status.PENDING):
            try:
                borrower_request_decide(
                    request_id=pending.pk,
                    actor=request.user,
                    approve=approve,
                    on=lender_today(pending.loan),
                )
            except ValueError as exc:  # RequestRefused, ServicingError, autopay in flight
                messages.error(request, f"Request {pending.pk}: {exc}")
            else:
                messages.success(request, f"Request {pending.pk}: done.")

    @admin.action(description="Approve and apply the selected pending requests")
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description="Reject the selected pending requests")
    def reject_selected(self, request, queryset):
        self._decide(request, queryset, approve=False)
