"""The collections queue in the admin: each open loan past due on its latest nightly snapshot,
worst first, with the last contact, the open promise and links to record a note or a promise
(admin_collections.py)."""

from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.html import format_html

from ismartpay.core.templatetags.ui import usd
from ismartpay.core.today import business_date

from . import flags
from .admin_collections import _ReadOnly
from .collections import OPEN_LOAN
from .models import AccountFlag, ContactNote, DelinquencySnapshot, LoanLink, PromiseToPay


@admin.register(DelinquencySnapshot)
class CollectionsQueueAdmin(_ReadOnly):
    """The queue: each open loan's latest nightly snapshot that is past due, worst first."""

    # Fits 1280 px without sideways scrolling: the lender and the bucket are filters (the lender
    # is also the loan link's tooltip), the snapshot's date is the latest night's for every row,
    # the phone sits under the name.
    list_display = (
        "loan_link",
        "borrower",
        "days",
        "past_due",
        "last_contact",
        "promise",
        "work_links",
    )
    list_display_links = None
    list_filter = ("bucket", "loan__lender")
    search_fields = ("loan__loan_number", "loan__borrower_email")
    list_select_related = ("loan__lender",)
    ordering = ("-days_past_due", "loan_id")

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        extra = {"title": "Collections queue: loans past due", **(extra_context or {})}
        return super().changelist_view(request, extra)

    def get_queryset(self, request):
        latest = DelinquencySnapshot.objects.filter(loan=OuterRef("loan")).order_by(
            "-business_date"
        )
        note = ContactNote.objects.filter(loan=OuterRef("loan")).order_by("-created_at", "-pk")
        promise = PromiseToPay.objects.filter(loan=OuterRef("loan"), status="open")
        borrower = LoanLink.objects.filter(loan=OuterRef("loan"), role=LoanLink.Role.BORROWER)
        stop = AccountFlag.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("business_date")),
            loan=OuterRef("loan"),
            kind__in=flags.STOP_COLLECTION_CONTACT,
            start_date__lte=OuterRef("business_date"),
        )
        return (
            super()
            .get_queryset(request)
            .filter(business_date=Subquery(latest.values("business_date")[:1]))
            .filter(loan__status__in=OPEN_LOAN)
            .filter(~Q(bucket=DelinquencySnapshot.Bucket.CURRENT))
            .annotate(
                last_contact_at=Subquery(note.values("created_at")[:1]),
                last_contact_outcome=Subquery(note.values("outcome")[:1]),
                promise_date=Subquery(promise.values("promised_date")[:1]),
                promise_amount=Subquery(promise.values("amount")[:1]),
                borrower_name=Subquery(borrower.values("user__full_name")[:1]),
                borrower_user_email=Subquery(borrower.values("user__email")[:1]),
                borrower_user_phone=Subquery(borrower.values("user__phone")[:1]),
                stop_flag=Subquery(stop.order_by("kind").values("kind")[:1]),
            )
        )

    @admin.display(description="Loan", ordering="loan__loan_number")
    def loan_link(self, obj):
        url = reverse("admin:loans_loan_change", args=[obj.loan_id])
        return format_html(
            '<a class="collections-nowrap" href="{}" title="{}">{}</a>',
            url,
            obj.loan.lender,
            obj.loan.loan_number,
        )

    @admin.display(description="Borrower", ordering="borrower_name")
    def borrower(self, obj):
        """The linked borrower's name (else their email, else the lender's email on file) and
        phone."""
        name = obj.borrower_name or obj.borrower_user_email or obj.loan.borrower_email or "—"
        phone = obj.borrower_user_phone or "no phone"
        if obj.stop_flag:  # loans/flags.py STOP_COLLECTION_CONTACT
            kind = AccountFlag.Kind(obj.stop_flag).label
            return format_html(
                '{}<br><strong class="errornote">{}: do not collect</strong>', name, kind
            )
        return format_html('{}<br><span class="collections-quiet">{}</span>', name, phone)

    @admin.display(description="Days late", ordering="days_past_due")
    def days(self, obj):
        return format_html(
            '{}<br><span class="collections-quiet">{}</span>',
            obj.days_past_due,
            obj.get_bucket_display(),
        )

    @admin.display(description="Past due", ordering="amount_past_due")
    def past_due(self, obj):
        return usd(obj.amount_past_due)

    @admin.display(description="Last contact", ordering="last_contact_at")
    def last_contact(self, obj):
        if obj.last_contact_at is None:
            return "—"
        outcome = ContactNote.Outcome(obj.last_contact_outcome).label
        day = business_date(obj.loan.lender, now=obj.last_contact_at)
        return f"{day:%Y-%m-%d} ({outcome})"

    @admin.display(description="Promise to pay", ordering="promise_date")
    def promise(self, obj):
        if obj.promise_date is None:
            return "—"
        return format_html(
            '<span class="collections-nowrap">{} by {}</span>',
            usd(obj.promise_amount),
            f"{obj.promise_date:%Y-%m-%d}",
        )

    @admin.display(description="")
    def work_links(self, obj):
        query = urlencode({"loan_number": obj.loan.loan_number, "lender": obj.loan.lender_id})
        note = reverse("admin:loans_contactnote_add")
        if obj.stop_flag:  # no promise to pay is taken (collections._refuse_if_collection_stopped)
            return format_html('<a href="{}?{}">Note</a>', note, query)
        promise = reverse("admin:loans_promisetopay_add")
        return format_html(
            '<a href="{}?{}">Note</a><br><a href="{}?{}">Promise</a>', note, query, promise, query
        )
