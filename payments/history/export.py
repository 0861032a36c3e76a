"""The payment history CSV export, and the CSV helpers every export uses.

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

from django.db.models import QuerySet

from ..models import Payment
from .rows import _allocation, shown_date

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
