from django.contrib import admin

from .models import Lender, Loan, LoanLink


@admin.register(Lender)
class LenderAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "cutoff_time", "grace_days", "late_fee_kind")
    search_fields = ("name",)


class LoanLinkInline(admin.TabularInline):
    model = LoanLink
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Loan)
class LoanAdmin(admin.ModelAdmin):
    list_display = ("loan_number", "lender", "vehicle", "principal_balance", "status")
    list_filter = ("status", "lender")
    search_fields = ("loan_number", "vin", "borrower_email", "links__user__email")
    list_select_related = ("lender",)
    inlines = [LoanLinkInline]
