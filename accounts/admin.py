from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from ismartpay.admin_dashboard import NoFullNumberSearchMixin

from .audit import AuditedAdminMixin, audit_record
from .models import AuditEvent, Profile, SignInEvent, SupportMessage, SupportThread, User
from .second_factor import second_factor_reset_by_staff


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    extra = 0
    exclude = ("closure_reason",)
    readonly_fields = ("closure_requested_at",)


@admin.register(User)
class UserAdmin(NoFullNumberSearchMixin, AuditedAdminMixin, DjangoUserAdmin):
    ordering = ("email",)
    list_display = (
        "email",
        "full_name",
        "is_staff",
        "is_active",
        "has_second_factor",
        "date_joined",
    )
    list_filter = ("is_staff", "is_active", "has_second_factor", "groups")
    # Email, name, phone; a linked loan's number; a card/account's last 4 (exact).
    search_fields = (
        "email",
        "full_name",
        "phone",
        "=loan_links__loan__loan_number",
        "=payment_methods__last4",
    )
    readonly_fields = ("has_second_factor", "last_login", "date_joined")
    phone_search_fields = ("phone",)
    inlines = [ProfileInline]
    actions = ["reset_second_factor"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name", "phone")}),
        ("Security", {"fields": ("has_second_factor",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.action(
        description="Reset second factor (after checking identity)",
        permissions=["reset_second_factor"],
    )
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            second_factor_reset_by_staff(user=user)
            audit_record(
                actor=request.user,
                action="account.second_factor_reset",
                target=user,
                reason="Identity checked by support",
                request=request,
            )
        messages.success(request, f"Second factor reset for {queryset.count()} account(s).")

    def has_reset_second_factor_permission(self, request):
        return request.user.has_perm("accounts.reset_second_factor")


@admin.register(SignInEvent)
class SignInEventAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "user", "ip", "device_label", "new_device")
    list_select_related = ("user",)
    search_fields = ("user__email", "ip")
    readonly_fields = [f.name for f in SignInEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_email", "action", "target_type", "target_id", "reason")
    list_filter = ("action", "target_type")
    search_fields = ("actor_email", "target_id", "target_repr", "reason")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SupportMessageInline(admin.TabularInline):
    model = SupportMessage
    fields = ("created_at", "author", "from_staff", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SupportReplyForm(forms.ModelForm):
    reply = forms.CharField(
        label="Answer",
        required=False,  # saving without an answer sends nothing (the view is still audited)
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The borrower is emailed that a message is waiting (never its content).",
    )

    class Meta:
        model = SupportThread
        fields = ()


@admin.register(SupportThread)
class SupportThreadAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Support agents and supervisors answer here; each answer is audited (message.answer)."""

    form = SupportReplyForm
    list_display = ("last_message_at", "user", "topic", "loan")
    list_filter = ("topic",)
    list_select_related = ("user", "loan")
    search_fields = ("user__email",)
    readonly_fields = ("user", "topic", "loan", "payment", "created_at", "last_message_at")
    inlines = [SupportMessageInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("accounts.answer_message")

    def save_model(self, request, obj, form, change):
        from .inbox import thread_answer_by_staff

        if not form.cleaned_data["reply"].strip():
            return
        thread_answer_by_staff(
            thread=obj, staff=request.user, body=form.cleaned_data["reply"], request=request
        )
