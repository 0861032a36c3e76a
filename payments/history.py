"""Payment history: the rows a borrower sees, the CSV export and the PDF receipt.

Every read is one query whatever the history length: the loan posting's allocation is joined in
with subqueries, so pages and exports never query per row (templates only display).

CSV columns (stable: scripts and spreadsheets rely on them; add new columns only at the end):

    reference          the payment reference shown to the borrower, e.g. PABCDE-FGHJK
    created_at         when the payment was made, ISO 8601 in UTC (2026-03-02T14:05:09Z)
    effective_date     the business date it counts on the loan, YYYY-MM-DD
    loan_number        the lender's loan number
    amount             dollars applied to the loan, 2 decimals, no currency sign
    fee_amount         card convenience fee charged on top, 2 decimals
    method             what paid it, as shown: "Visa •••• 4242" (never more than the last 4)
    status             the payment's status code: scheduled, pending, posted, settled, failed, …
    fees_applied       } how the loan posting split the amount (2 decimals); empty when the
    interest_applied   } payment was never posted (declined, scheduled, held, cancelled) or its
    principal_applied  } posting was undone (returned, refunded, reversed)
    status_shown       the status in the words the history page shows: "Declined", "Posted", …
    date_shown         the date the history page shows, YYYY-MM-DD: for a declined attempt the
                       day it was tried (lender's local date), else the effective date
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from loans.models import Loan, LoanPosting

from .models import Payment
from .selectors import payments_visible_to
from .statuses import PAYMENT_TONES, payment_has_receipt, payment_status_tone

CSV_COLUMNS = (
    "reference",
    "created_at",
    "effective_date",
    "loan_number",
    "amount",
    "fee_amount",
    "method",
    "status",
    "fees_applied",
    "interest_applied",
    "principal_applied",
    "status_shown",
    "date_shown",
)
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


def shown_date(payment: Payment) -> dt.date:
    """The date the history shows: a declined attempt on the day it was tried (local), any
    other payment on the day it counts (or would count) on the loan."""
    if payment.status in ATTEMPT_STATUSES:
        return timezone.localtime(payment.created_at).date()
    return payment.effective_date


def history_loans_for_user(user) -> QuerySet[Loan]:
    """The loans the user can filter on: those linked to them."""
    return (
        Loan.objects.filter(links__user=user)
        .select_related("lender")
        .order_by("lender__name", "loan_number")
    )


def _with_allocation(payments: QuerySet[Payment]) -> QuerySet[Payment]:
    posting = LoanPosting.objects.filter(pk=OuterRef("loan_posting_id"))
    return payments.annotate(
        posting_fees=Subquery(posting.values("fees")[:1]),
        posting_interest=Subquery(posting.values("interest")[:1]),
        posting_principal=Subquery(posting.values("principal")[:1]),
    )


def payment_history_for_user(user, filters: HistoryFilters | None = None) -> QuerySet[Payment]:
    """Payments the user may see, newest first, filtered, with their allocation annotated."""
    filters = filters or HistoryFilters()
    payments = payments_visible_to(user).select_related("loan")
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
    if payment.loan_posting_id is None or getattr(payment, "posting_fees", None) is None:
        return None
    if payment.status in UNDONE_STATUSES:
        return None
    return Allocation(payment.posting_fees, payment.posting_interest, payment.posting_principal)


def history_rows(payments: Iterable[Payment]) -> list[HistoryRow]:
    return [
        HistoryRow(
            payment=p,
            status_label=p.get_status_display(),
            status_tone=payment_status_tone(p.status),
            allocation=_allocation(p),
            undone=p.status in UNDONE_STATUSES,
            can_troubleshoot=p.status in TROUBLESHOOT_STATUSES,
            has_receipt=payment_has_receipt(p.status),
            date_shown=shown_date(p),
            date_label="Tried" if p.status in ATTEMPT_STATUSES else "",
        )
        for p in payments
    ]


# --- CSV -------------------------------------------------------------------------------------
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """Text as a spreadsheet should show it: a leading formula character is neutralised
    (OWASP "CSV injection"). Every CSV export calls this for free text."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_PREFIXES) else text


def _csv_row(payment: Payment) -> list[str]:
    allocation = _allocation(payment)
    created = payment.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        csv_cell(payment.reference),
        created,
        payment.effective_date.isoformat(),
        csv_cell(payment.loan.loan_number),
        f"{payment.amount:.2f}",
        f"{payment.fee_amount:.2f}",
        csv_cell(payment.method_label),
        payment.status,
        f"{allocation.fees:.2f}" if allocation else "",
        f"{allocation.interest:.2f}" if allocation else "",
        f"{allocation.principal:.2f}" if allocation else "",
        payment.get_status_display(),  # the same words as the page
        shown_date(payment).isoformat(),
    ]


# Excel opens a CSV without a byte order mark in the local code page, turning "••••" into
# "â€¢â€¢â€¢â€¢"; with it, as UTF-8. Other readers (csv, pandas with utf-8-sig) skip it.
CSV_BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def csv_lines(columns: Iterable[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """Any export's CSV, one line at a time: the BOM, the header, then each row (CRLF), for
    streaming as CSV_CONTENT_TYPE. Free-text cells must already have gone through csv_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow(columns)
    yield CSV_BOM + flush()
    for row in rows:
        writer.writerow(row)
        yield flush()


def history_csv_lines(payments: QuerySet[Payment]) -> Iterator[str]:
    """The payment history CSV (CSV_COLUMNS), one line at a time."""
    return csv_lines(CSV_COLUMNS, (_csv_row(p) for p in payments.iterator(chunk_size=500)))


# --- PDF receipt -----------------------------------------------------------------------------
def receipt_pdf_bytes(payment: Payment) -> bytes:
    """A one-page receipt: reference, amount, date, loan, status and the method's label (last 4
    only: the label is all we ever keep about a method on the payment)."""
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas

    from ismartpay.core.templatetags.ui import usd

    buffer = io.BytesIO()
    # Uncompressed content: small anyway, and the text can be checked in tests.
    pdf = canvas.Canvas(buffer, pagesize=LETTER, pageCompression=0, invariant=1)
    pdf.setTitle(f"iSmartPay receipt {payment.reference}")
    pdf.setAuthor("iSmartPay")
    _, height = LETTER
    y = height - inch
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(inch, y, "iSmartPay payment receipt")
    y -= 0.5 * inch
    local_made = timezone.localtime(payment.created_at)
    lines = [
        ("Reference", payment.reference),
        ("Amount", usd(payment.amount)),
    ]
    if payment.fee_amount:
        lines += [
            ("Convenience fee", usd(payment.fee_amount)),
            ("Total charged", usd(payment.total_charged)),
        ]
    lines += [
        ("Status", payment.get_status_display()),
        ("Made on", local_made.strftime("%b %d, %Y %I:%M %p %Z")),
        ("Counts on", payment.effective_date.strftime("%b %d, %Y")),
        ("Lender", payment.loan.lender.name),
        ("Loan number", payment.loan.loan_number),
        ("Paid with", payment.method_label.replace("••••", "ending")),
    ]
    for label, value in lines:
        pdf.setFont("Helvetica", 10)
        pdf.drawString(inch, y, label)
        pdf.setFont("Helvetica-Bold", 12)
        pdf.drawString(2.6 * inch, y, str(value))
        y -= 0.35 * inch
    y -= 0.2 * inch
    pdf.setFont("Helvetica", 9)
    pdf.drawString(
        inch, y, "Keep this receipt for your records. Questions: support@ismartpay.example"
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
