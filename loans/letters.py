"""The payoff-quote letter as a one-page PDF (reportlab)."""

import io

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from ismartpay.core.templatetags.ui import usd

from .models import Loan
from .selectors import PayoffQuote


def payoff_letter_pdf(loan: Loan, quote: PayoffQuote, *, borrower_name: str) -> bytes:
    """Render the binding payoff quote: amount, good-through date, per-diem and breakdown."""
    buffer = io.BytesIO()
    # Uncompressed page streams keep the text searchable (tests, accessibility tools).
    pdf = canvas.Canvas(buffer, pagesize=LETTER, pageCompression=0)
    pdf.setTitle(f"Payoff quote – loan {loan.loan_number}")
    pdf.setAuthor("iSmartPay")
    _width, height = LETTER
    x, y = inch, height - inch

    def line(text: str, *, size: int = 11, bold: bool = False, gap: float = 16) -> None:
        nonlocal y
        pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        pdf.drawString(x, y, text)
        y -= gap

    line(loan.lender.name, size=14, bold=True, gap=20)
    line("Serviced by iSmartPay", size=9, gap=28)
    line(f"Date: {quote.quoted_on:%B %-d, %Y}")
    line(f"To: {borrower_name}", gap=28)
    line("Payoff quote", size=16, bold=True, gap=24)
    line(f"Loan {loan.loan_number} · {loan.vehicle} · VIN ending {loan.vin[-6:]}", gap=28)
    line(f"Payoff amount: {usd(quote.amount)}", size=14, bold=True, gap=20)
    line(f"Good through: {quote.good_through:%A, %B %-d, %Y}", bold=True, gap=28)
    for label, amount in (
        ("Principal", quote.principal),
        (f"Interest through {quote.good_through:%b %-d, %Y}", quote.interest),
        ("Unpaid fees", quote.fees),
    ):
        line(f"{label}: {usd(amount)}")
    y -= 12
    line(f"Per-diem interest after the good-through date: {usd(quote.per_diem)} a day.")
    y -= 8
    for text in (
        "This quote is binding: a payment of the payoff amount that takes effect on or before",
        "the good-through date pays the loan in full. If a payment leaves a residual of",
        f"{usd(quote.tolerance)} or less, the lender writes it off; it is never billed. If you",
        "pay before the good-through date, less interest is due and the difference is refunded.",
        "Payments made after the lender's cut-off time or on a non-business day take effect on",
        "the next business day.",
    ):
        line(text, size=10, gap=14)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
