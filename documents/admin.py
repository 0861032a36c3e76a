"""Staff: title releases move forward through documents.payoff.title_release_update (dated,
audited, emailed once per step); statements and consents are read-only records."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.audit import AuditedAdminMixin

from .models import PaperlessConsent, Statement, TitleRelease, YearEndStatement
from .payoff import title_release_update, title_step_problem

PERMISSION = "documents.update_title_release"


class ReadOnly(AuditedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Statement)
class StatementAdmin(ReadOnly):
    list_display = ("loan", "cycle_number", "period_end", "amount_due", "made_on")
    search_fields = ("loan__loan_number",)


@admin.register(YearEndStatement)
class YearEndStatementAdmin(ReadOnly):
    list_display = ("loan", "year", "interest_paid", "made_on")


@admin.register(PaperlessConsent)
class PaperlessConsentAdmin(ReadOnly):
    list_display = ("user", "disclosure_version", "consented_at", "withdrawn_at")


class TitleReleaseForm(forms.ModelForm):
    on = forms.DateField(label="Date of this step", help_text="The lender's business date.")

    class Meta:
        model = TitleRelease
        fields = ("loan", "step", "delivery", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        if self.instance.pk:
            self.fields["loan"].disabled = True

    def clean(self):
        data = super().clean()
        loan = data.get("loan")
        if loan is not None and data.get("step"):
            current = TitleRelease.objects.filter(loan=loan).first()
            problem = title_step_problem(loan, current, data["step"], data.get("delivery") or "")
            if problem:
                raise ValidationError(problem)
        return data

    def validate_unique(self):
        pass  # an existing release for the loan is moved forward by the service, not duplicated


@admin.register(TitleRelease)
class TitleReleaseAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = TitleReleaseForm
    list_display = ("loan", "step", "requested_on", "released_on", "sent_on", "delivery")
    list_filter = ("step", "delivery")
    readonly_fields = ("requested_on", "released_on", "sent_on")
    raw_id_fields = ("loan",)

    def has_add_permission(self, request):
        return request.user.has_perm(PERMISSION)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(PERMISSION)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through the service (never a raw save): it dates, audits and emails each step."""
        data = form.cleaned_data
        saved = title_release_update(
            loan_id=data["loan"].pk,
            step=data["step"],
            on=data["on"],
            delivery=data.get("delivery") or "",
            note=data.get("note") or "",
            actor=request.user,
            request=request,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()
