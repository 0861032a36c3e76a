"""Payment history rows: the selector (one query whatever the history length: the loan
and its posting's allocation joined in) and the presenter (status words, tones,
the date shown). The CSV export is in export.py, the PDF receipt in receipt_pdf.py."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from loans.models import Loan

from ..models import Payment
from ..selectors import payments_visible_to
from ..statuses import PAYMENT_TONES, payment_has_receipt, payment_status_tone

PAGE_SIZE = 25

STATUS_TONES = PAYMENT_TONES  # re-exported: the tones live in payments/statuses.py
TROUBLESHOOT_STATUSES = (Payment.Status.FAILED, Payment.Status.RETURNED)
# A declined attempt never counted on any day: it is dated the day it was tried.
ATTEMPT_STATUSES = (Payment.Status.FAILED,)
# A returned, refunded or reversed payment's posting was undone: nothing of it stays applied.
UNDONE_STATUSES = Payment.UNDONE_STATUSES


@dataclass(frozen=True)
class HistoryFilters:
    loan_id: int | None = None
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True)
class Allocation:
    fees: Decimal
    interest: Decimal
    principal: Decimal


@dataclass(frozen=True)
class HistoryRow:
    """One payment as the history page shows it; everything precomputed."""

    payment: Payment
    status_label: str
    status_tone: str
    allocation: Allocation | None
    undone: bool  # returned, refunded or reversed: taken back off the loan
    can_troubleshoot: bool
    date_shown: dt.date
    date_label: str  # "Tried" for a declined attempt, "" for a date it counts on
    has_receipt: bool = False
    detail_url: str = ""
    receipt_url: str = ""  # "" when the payment has no receipt
    troubleshoot_url: str = ""  # "" when there is nothing to troubleshoot


def shown_date(payment: Payment) -> dt.date:
    """The date the history shows: a declined attempt on the day it was tried (local), any
    other payment on the day it counts (or would count) on the loan."""
    if payment.status in ATTEMPT_STATUSES:
        return timezone.localtime(payment.created_at).date()
    return payment.effective_date


def history_loans_for_user(user) -> QuerySet[Loan]:
    """The loans the user can filter on: those linked to them (what the filter's choices show:
    the lender's name and the loan number, not the loan's and lender's every column)."""
    return (
        Loan.objects.filter(links__user=user)
        .select_related("lender")
        .only("loan_number", "lender__name")
        .order_by("lender__name", "loan_number")
    )


# What the page and the CSV show of a payment, its loan and its posting: only these columns
# are read (16 of the three models' 92). Building and filling the others cost a page of 25
# rows ≈ 2 ms of CPU for the joined models' and 0.5–1.2 ms for the payment's own 24 (issue
# 15, bench/README.md). A row reading another column would cost a query per row: the history
# tests assert the statements do not grow with the rows.
_SHOWN = [
    *("reference", "amount", "fee_amount", "method_label", "status"),
    *("created_at", "effective_date", "loan", "loan_posting"),
    "loan__loan_number",
    *("loan_posting__fees", "loan_posting__interest", "loan_posting__principal"),
]


def _with_allocation(payments: QuerySet[Payment]) -> QuerySet[Payment]:
    """The payment's loan and ledger posting joined in (one LEFT JOIN: three correlated
    subqueries, one per column, cost the database a lookup each and Python ≈ 2 ms to
    compile, issue 15), with only the columns shown."""
    return payments.select_related("loan", "loan_posting").only(*_SHOWN)


def payment_history_for_user(
    user, filters: HistoryFilters | None = None, *, linked_loans: Iterable[Loan] | None = None
) -> QuerySet[Payment]:
    """Payments the user may see, newest first, filtered, with their loan and allocation.
    `linked_loans`: history_loans_for_user(user), when the caller has read them already (the
    filter's choices): the access rule takes their ids instead of reading them again."""
    filters = filters or HistoryFilters()
    ids = None if linked_loans is None else [loan.pk for loan in linked_loans]
    payments = payments_visible_to(user, linked_loan_ids=ids)
    if filters.loan_id is not None:
        payments = payments.filter(loan_id=filters.loan_id)
    if filters.status:
        payments = payments.filter(status=filters.status)
    if filters.date_from is not None:
        payments = payments.filter(effective_date__gte=filters.date_from)
    if filters.date_to is not None:
        payments = payments.filter(effective_date__lte=filters.date_to)
    return _with_allocation(payments).order_by("-created_at", "-pk")


def _allocation(payment: Payment) -> Allocation | None:
    if payment.loan_posting_id is None or payment.status in UNDONE_STATUSES:
        return None
    posting = payment.loan_posting
    return Allocation(posting.fees, posting.interest, posting.principal)


# A reference as payments/urls.py's pattern takes it (P + 5, dash, 5 of [A-Z0-9]: URL-safe).
SAMPLE_REFERENCE = "P00000-00000"


def _reference_links(name: str):
    """`reference -> URL` for a payment page, from one reverse(): a page of 25 rows asked for
    up to 75 `{% url %}`s, a quarter of the history template's time (issue 15)."""
    head, tail = reverse(name, args=[SAMPLE_REFERENCE]).split(SAMPLE_REFERENCE)
    return lambda reference: f"{head}{reference}{tail}"


def history_rows(payments: Iterable[Payment]) -> list[HistoryRow]:
    detail, receipt, troubleshoot = (
        _reference_links(f"payments:{name}") for name in ("detail", "receipt_pdf", "troubleshoot")
    )
    rows = []
    for p in payments:
        can_troubleshoot = p.status in TROUBLESHOOT_STATUSES
        has_receipt = payment_has_receipt(p.status)
        rows.append(
            HistoryRow(
                payment=p,
                status_label=p.get_status_display(),
                status_tone=payment_status_tone(p.status),
                allocation=_allocation(p),
                undone=p.status in UNDONE_STATUSES,
                can_troubleshoot=can_troubleshoot,
                has_receipt=has_receipt,
                date_shown=shown_date(p),
                date_label="Tried" if p.status in ATTEMPT_STATUSES else "",
                detail_url=detail(p.reference),
                receipt_url=receipt(p.reference) if has_receipt else "",
                troubleshoot_url=troubleshoot(p.reference) if can_troubleshoot else "",
            )
        )
    return rows
