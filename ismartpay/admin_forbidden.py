"""The 403 page. Under /admin/ a staff member sees an admin-styled page that names the
permission the page needs and the roles (groups) that hold it, with a link back to the staff
home page; everyone else sees the borrower's page (templates/403.html).

A staff page that checks a permission raises `staff_refused(perm)`; a refusal without one (a
model's own add/change/list page) is named from the URL: "<app>_<model>_<view>" needs the
model's add/change/delete/view permission."""

from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve
from django.views import defaults

# The admin's URL names end in the view; the permission each view asks of a model.
VIEW_PERMISSION = {
    "add": "add",
    "change": "change",
    "delete": "delete",
    "changelist": "view",
    "history": "view",
}


def staff_refused(permission: str, message: str = "") -> PermissionDenied:
    """A PermissionDenied that names the permission ("loans.manage_account_flags")."""
    exc = PermissionDenied(message)
    exc.permission = permission
    return exc


def _permission_from_url(request) -> str | None:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    name = match.url_name or ""
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        action = VIEW_PERMISSION.get(name.removeprefix(prefix)) if name.startswith(prefix) else None
        if action:
            return f"{model._meta.app_label}.{action}_{model._meta.model_name}"
    return None


def needed(permission: str | None) -> dict:
    """The permission's name and the staff roles that hold it."""
    if not permission:
        return {}
    app_label, codename = permission.split(".", 1)
    perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    roles = (
        list(Group.objects.filter(permissions=perm).order_by("name").values_list("name", flat=True))
        if perm
        else []
    )
    return {"permission": permission, "permission_name": perm.name if perm else "", "roles": roles}


def permission_denied(request, exception, template_name="403.html"):
    user = getattr(request, "user", None)
    if not (request.path.startswith("/admin/") and getattr(user, "is_staff", False)):
        return defaults.permission_denied(request, exception, template_name)
    permission = getattr(exception, "permission", None) or _permission_from_url(request)
    context = {
        **admin.site.each_context(request),
        "title": "Not allowed",
        "message": str(exception or ""),
        **needed(permission),
    }
    response = TemplateResponse(request, "admin/403.html", context, status=403)
    return response.render()
