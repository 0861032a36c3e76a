"""Account activity as CSV (the history CSV's helpers: BOM, formula guard) and as a PDF.

CSV columns (stable; add new ones only at the end):

    date         the entry's business date, YYYY-MM-DD
    kind         payment, fee, fee_waiver, return, reversal, refund, adjustment, interest
    description  the label and its detail, as the page shows them
    change       what it did to the balance owed, 2 decimals (negative: paid down)
    fees         } what a posting applied to each balance, 2 decimals (positive pays down);
    interest     } empty for interest and refund-of-overpayment entries
    principal    }
    balance      the balance owed right after it (the ledger's), 2 decimals
    reference    the payment's reference, or empty
"""

import io
from collections.abc import Iterator

from ismartpay.core.templatetags.ui import usd
from loans.models import Loan

from .activity import Kind
from .activity_presenter import ActivityRow, signed_usd
from .history import csv_cell, csv_lines

CSV_COLUMNS = (
    "date",
    "kind",
    "description",
    "change",
    "fees",
    "interest",
    "principal",
    "balance",
    "reference",
)


def _description(row: ActivityRow) -> str:
    return f"{row.label} — {row.detail}" if row.detail else row.label


def _csv_row(row: ActivityRow) -> list[str]:
    entry = row.entry
    split = entry.posting is not None and entry.kind != Kind.INTEREST
    return [
        entry.effective_date.isoformat(),
        entry.kind,
        csv_cell(_description(row)),
        f"{entry.change:.2f}",
        f"{entry.fees:.2f}" if split else "",
        f"{entry.interest:.2f}" if split else "",
        f"{entry.principal:.2f}" if split else "",
        f"{entry.balance_after:.2f}",
        csv_cell(row.reference),
    ]


def activity_csv_lines(rows: list[ActivityRow]) -> Iterator[str]:
    return csv_lines(CSV_COLUMNS, (_csv_row(row) for row in rows))


def activity_pdf_bytes(loan: Loan, rows: list[ActivityRow], *, title: str) -> bytes:
    """The activity list on as many Letter pages as it needs (reportlab, like the receipt)."""
    # Kept whole: one page layout, drawn top to bottom; its offsets (floats, inches) are
    # allowed by this function's name in test_money_code_has_no_float.
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=LETTER, pageCompression=0, invariant=1)
    pdf.setTitle(title)
    pdf.setAuthor("iSmartPay")
    width, height = LETTER
    columns = (inch * 0.6, inch * 1.5, width - inch * 2.3, width - inch * 0.6)

    def header() -> float:
        y = height - inch * 0.8
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(columns[0], y, title)
        y -= 16
        pdf.setFont("Helvetica", 9)
        pdf.drawString(
            columns[0], y, f"{loan.lender.name} · loan {loan.loan_number} · {loan.vehicle}"
        )
        y -= 22
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawString(columns[0], y, "Date")
        pdf.drawString(columns[1], y, "Activity")
        pdf.drawRightString(columns[2], y, "Change")
        pdf.drawRightString(columns[3], y, "Balance")
        return y - 14

    y = header()
    for row in rows:
        if y < inch * 0.8:
            pdf.showPage()
            y = header()
        entry = row.entry
        pdf.setFont("Helvetica", 9)
        pdf.drawString(columns[0], y, f"{entry.effective_date:%b %d, %Y}")
        pdf.drawString(columns[1], y, row.label[:60])
        pdf.drawRightString(columns[2], y, signed_usd(entry.change).replace("−", "-"))
        pdf.drawRightString(columns[3], y, usd(entry.balance_after))
        if row.detail:
            y -= 11
            pdf.setFont("Helvetica", 7.5)
            pdf.drawString(columns[1], y, row.detail.replace("••••", "ending")[:90])
        y -= 14
    if not rows:
        pdf.setFont("Helvetica", 10)
        pdf.drawString(columns[0], y, "No activity matches.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
