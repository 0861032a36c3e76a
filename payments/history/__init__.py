"""Payment history: the rows a borrower sees (rows.py: selector and presenter), the CSV
export (export.py) and the PDF receipt (receipt_pdf.py). Everything stays importable from
payments.history."""

from .export import (
    CSV_BOM,
    CSV_COLUMNS,
    CSV_CONTENT_TYPE,
    csv_cell,
    csv_lines,
    history_csv_lines,
)
from .receipt_pdf import receipt_pdf_bytes
from .rows import (
    ATTEMPT_STATUSES,
    PAGE_SIZE,
    STATUS_TONES,
    TROUBLESHOOT_STATUSES,
    UNDONE_STATUSES,
    Allocation,
    HistoryFilters,
    HistoryRow,
    history_loans_for_user,
    history_rows,
    payment_history_for_user,
    shown_date,
)

__all__ = [
    "ATTEMPT_STATUSES",
    "CSV_BOM",
    "CSV_COLUMNS",
    "CSV_CONTENT_TYPE",
    "PAGE_SIZE",
    "STATUS_TONES",
    "TROUBLESHOOT_STATUSES",
    "UNDONE_STATUSES",
    "Allocation",
    "HistoryFilters",
    "HistoryRow",
    "csv_cell",
    "csv_lines",
    "history_csv_lines",
    "history_loans_for_user",
    "history_rows",
    "payment_history_for_user",
    "receipt_pdf_bytes",
    "shown_date",
]
