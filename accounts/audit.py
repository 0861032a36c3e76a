"""The staff audit log API. Other apps call these; nothing else writes AuditEvent rows.

    from accounts.audit import audit_record, AuditedAdminMixin

    audit_record(actor=request.user, action="payment.refund", target=payment,
                 reason=form.cleaned_data["reason"], request=request,
                 details={"amount": "25.00"})

    @admin.register(Payment)
    class PaymentAdmin(AuditedAdminMixin, admin.ModelAdmin): ...

`AuditedAdminMixin` records every change-view read ("admin.view"), add, change, delete and
bulk action of that ModelAdmin.
"""

from typing import Any

from django.contrib.admin.utils import unquote
from django.db import models
from django.http import HttpRequest

from .models import AuditEvent


def audit_ip(request: HttpRequest | None) -> str | None:
    """The client address an audit row records for `request` (None when unknown)."""
    if request is None:
        return None
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except Exception:
        return None


_client_ip = audit_ip  # the old name (documents/views.py imports it)


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | str | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one audit row: `actor` (a user or None for the system) did `action` to `target`.
    A service passes the client's `ip` (it takes no request); a view may pass the `request`."""
    if isinstance(target, models.Model):
        target_type, target_id, target_repr = target._meta.label_lower, str(target.pk), str(target)
    else:
        target_type, target_id, target_repr = "", "", str(target or "")
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_email=actor.email if is_user else "",
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr[:200],
        reason=reason,
        ip=ip or audit_ip(request),
        details=details or {},
    )


class AuditedAdminMixin:
    """Mix into a ModelAdmin: every read of a change page and every staff write is audited."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                audit_record(actor=request.user, action="admin.view", target=obj, request=request)
        return response

    def log_addition(self, request, obj, message):
        audit_record(
            actor=request.user,
            action="admin.add",
            target=obj,
            request=request,
            details={"message": message},
        )
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        audit_record(
            actor=request.user,
            action="admin.change",
            target=obj,
            request=request,
            details={"message": message},
        )
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit_record(actor=request.user, action="admin.delete", target=obj, request=request)
        return super().log_deletions(request, queryset)

    def response_action(self, request, queryset):
        action = request.POST.get("action", "")
        selected = request.POST.getlist("_selected_action")
        if action:
            audit_record(
                actor=request.user,
                action=f"admin.action.{action}"[:64],
                target=self.model._meta.label_lower,
                request=request,
                details={"selected": selected[:500]},
            )
        return super().response_action(request, queryset)
