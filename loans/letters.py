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
    y -= 8
    line("How to send the payoff", bold=True, gap=16)
    for text in remittance_lines(loan.lender, loan.loan_number):
        line(text, size=10, gap=14)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def remittance_lines(lender, loan_number: str) -> list[str]:
    """Where the money goes: online here, a check to the lender's remittance address, or a
    wire to its account (the lender's record), always quoting the loan number."""
    out = [f"Online: pay in the iSmartPay portal (choose the payoff amount). Loan {loan_number}."]
    if lender.remittance_address.strip():
        out.append(f"By check, payable to {lender.name}, with loan {loan_number} on it, to:")
        out += [f"    {part.strip()}" for part in lender.remittance_address.splitlines() if part]
    if lender.wire_routing_number and lender.wire_account_number:
        beneficiary = lender.wire_account_name or lender.name
        out.append("By wire:")
        out += [
            f"    Bank: {lender.wire_bank_name}",
            f"    ABA routing number: {lender.wire_routing_number}",
            f"    Account: {lender.wire_account_number} ({beneficiary})",
            f"    Reference: payoff, loan {loan_number}",
        ]
    if len(out) == 1:
        out.append(f"For check or wire instructions, contact {lender.name}.")
    return out
