"""The staff home page and the global search, as admin pages (behind the admin's sign-in and
second factor: PortalAdminSite.admin_view). Support agents and supervisors see them; plain
staff without the view permissions get 403 (the index then shows only the app list).

The admin index shows the dashboard above the app list; /admin/dashboard/ is the same page on
its own; /admin/search/ is the global search. Searching is audited ("admin.search"), as every
read of a sensitive admin page is (AuditedAdminMixin).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path

from accounts.audit import audit_record

from .staff_dashboard import staff_dashboard
from .staff_search import staff_search

# Both staff roles hold every view_ permission of these apps (accounts/roles.py).
DASHBOARD_PERMISSIONS = ("payments.view_payment", "loans.view_loan")
SEARCH_PERMISSIONS = ("accounts.view_user", "loans.view_loan", "payments.view_payment")


def may_see_dashboard(user) -> bool:
    return user.is_active and user.is_staff and user.has_perms(DASHBOARD_PERMISSIONS)


def may_search(user) -> bool:
    return user.is_active and user.is_staff and user.has_perms(SEARCH_PERMISSIONS)


def business_today():
    """The lender's business date, read from the clock here, at the edge."""
    from payments.jobs import default_business_date

    return default_business_date()


def dashboard_context(request) -> dict:
    """The index's extra context: the dashboard figures for staff who may see them."""
    if not may_see_dashboard(request.user):
        return {}
    return {
        "dashboard": staff_dashboard(today=business_today()),
        "may_search": may_search(request.user),
    }


class StaffPagesMixin:
    """Mixed into PortalAdminSite: the dashboard on the index, and its two pages."""

    index_template = "admin/staff_index.html"

    def get_urls(self):
        return [
            path("dashboard/", self.admin_view(self.dashboard_view), name="staff_dashboard"),
            path("search/", self.admin_view(self.search_view), name="staff_search"),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        return super().index(request, {**dashboard_context(request), **(extra_context or {})})

    def dashboard_view(self, request):
        if not may_see_dashboard(request.user):
            raise PermissionDenied
        context = {
            **self.each_context(request),
            **dashboard_context(request),
            "title": "Today",
        }
        return TemplateResponse(request, "admin/staff/dashboard.html", context)

    def search_view(self, request):
        if not may_search(request.user):
            raise PermissionDenied
        results = staff_search(request.GET.get("q", ""))
        if results.query:
            audit_record(
                actor=request.user,
                action="admin.search",
                target=None,
                reason="",
                request=request,
                details={"q": results.query, "refused": bool(results.refused), **results.counts},
            )
        context = {
            **self.each_context(request),
            "title": "Search",
            "results": results,
        }
        return TemplateResponse(request, "admin/staff/search.html", context)


class NoFullNumberSearchMixin:
    """For changelists that search people, cards, accounts or payments.

    A search holding a whole card or account number finds nothing (staff search by the last 4
    only), so a full number typed by mistake is never matched against anything. A phone
    number matches whatever way it was typed or stored ("555-309-1144" finds "(555) 309-1144"):
    `phone_search_fields` are compared by their digits."""

    phone_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        from .staff_search import MIN_PHONE_DIGITS, digits_of, holds_full_number, phone_digits

        if holds_full_number(search_term):
            return queryset.none(), False
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = phone_digits(search_term)
        if not (self.phone_search_fields and digits and len(digits) >= MIN_PHONE_DIGITS):
            return found, may_have_duplicates
        by_phone = Q()
        for field in self.phone_search_fields:
            matching = self.model._default_manager.annotate(_digits=digits_of(field))
            by_phone |= Q(pk__in=matching.filter(_digits__contains=digits).values("pk"))
        return found | queryset.filter(by_phone), True
