"""Admin for autopay plans, debits and nightly job runs (imported by payments/admin.py)."""

from django.contrib import admin

from ..models import AutopayAuthorization, AutopayDebit, AutopayEvent, AutopayPlan, JobRun


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Every shown field, or a superuser's change page builds a form with the non-editable
        # `at` and answers 500 (found by tests/ismartpay/test_admin_change_forms.py).
        return self.fields


class AuthorizationInline(ReadOnlyInline):
    model = AutopayAuthorization
    fields = ("text_version", "accepted_at", "ip_address", "user_agent", "text")


class EventInline(ReadOnlyInline):
    model = AutopayEvent
    fields = ("at", "kind", "actor_label", "detail")


@admin.register(AutopayPlan)
class AutopayPlanAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "loan",
        "status",
        "schedule",
        "amount_rule",
        "next_run_date",
        "last_amount",
    )
    list_filter = ("status", "schedule", "amount_rule")
    search_fields = ("loan__loan_number", "owner__email")
    raw_id_fields = ("loan", "owner", "method")
    readonly_fields = [f.name for f in AutopayPlan._meta.fields]
    inlines = [AuthorizationInline, EventInline]

    def has_add_permission(self, request):
        return False  # borrowers enrol themselves: an authorization is required


@admin.register(AutopayDebit)
class AutopayDebitAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "plan",
        "period_key",
        "run_date",
        "amount",
        "status",
        "attempts",
        "next_attempt_at",
        "reason",
        "claimed_by",
        "lease_until",
    )
    list_filter = ("status", "run_date")
    search_fields = ("plan__loan__loan_number", "idempotency_key")
    readonly_fields = [f.name for f in AutopayDebit._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """A RUNNING row whose heartbeat is older than the lease (30 s) shows "Interrupted" before
    the sweep (every minute) marks it so."""

    list_display = (
        "job",
        "business_date",
        "scope",
        "run_status",
        "started_at",
        "heartbeat_at",
        "duration_ms",
        "due",
        "charged",
        "failed",
        "skipped",
        "retried",
        "waiting",
        "error",
    )
    list_filter = ("status", "job", "business_date")
    readonly_fields = [f.name for f in JobRun._meta.fields]

    @admin.display(description="Status", ordering="status")
    def run_status(self, obj: JobRun) -> str:
        from django.utils import timezone

        from . import leases

        if obj.status == JobRun.Status.RUNNING and (
            obj.heartbeat_at is None
            or obj.heartbeat_at < timezone.now() - leases.lease()
            or leases.holder_is_dead(obj.holder)
        ):
            return "Interrupted (no heartbeat)"
        return obj.get_status_display()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
