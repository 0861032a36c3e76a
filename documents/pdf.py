"""Statements and letters as PDFs (reportlab), rendered on demand from the stored snapshot:
the figures never change, so the PDF does not need to be stored (docs/statements.md)."""

import io
from decimal import Decimal

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from ismartpay.core.templatetags.ui import usd

from .models import Statement, TitleRelease, YearEndStatement
from .payoff import PaidInFull


class _Page:
    """A top-down writer on letter paper; a new page when the bottom margin is reached."""

    def __init__(self, title: str):
        self.buffer = io.BytesIO()
        # Uncompressed page streams keep the text searchable (tests, accessibility tools).
        self.pdf = canvas.Canvas(self.buffer, pagesize=LETTER, pageCompression=0, invariant=1)
        self.pdf.setTitle(title)
        self.pdf.setAuthor("iSmartPay")
        self.y = LETTER[1] - inch

    def line(self, text: str, *, size: int = 10, bold: bool = False, gap: float = 14, x=None):
        if self.y < inch:
            self.pdf.showPage()
            self.y = LETTER[1] - inch
        self.pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        self.pdf.drawString(x if x is not None else inch, self.y, text)
        self.y -= gap

    def pair(self, label: str, value: str, *, bold: bool = False) -> None:
        self.pdf.setFont("Helvetica", 10)
        self.pdf.drawString(inch, self.y, label)
        self.pdf.setFont("Helvetica-Bold" if bold else "Helvetica", 10)
        self.pdf.drawRightString(LETTER[0] - inch, self.y, value)
        self.y -= 14

    def done(self) -> bytes:
        self.pdf.showPage()
        self.pdf.save()
        return self.buffer.getvalue()


def _head(page: _Page, loan, title: str) -> None:
    page.line(loan.lender.name, size=14, bold=True, gap=18)
    page.line("Serviced by iSmartPay", size=9, gap=24)
    page.line(title, size=16, bold=True, gap=20)
    page.line(f"Loan {loan.loan_number} · {loan.vehicle} · VIN ending {loan.vin[-6:]}", gap=22)


def statement_pdf(statement: Statement, *, borrower_name: str) -> bytes:
    loan = statement.loan
    page = _Page(f"Statement {statement.period_end:%B %Y} – loan {loan.loan_number}")
    _head(page, loan, "Monthly statement")
    page.line(f"To: {borrower_name}")
    page.line(
        f"Period: {statement.period_start:%b %-d, %Y} to {statement.period_end:%b %-d, %Y}",
        gap=22,
    )
    page.pair(
        f"Amount due by {statement.due_date:%b %-d, %Y}", usd(statement.amount_due), bold=True
    )
    page.pair("Past-due amount (included above)", usd(statement.past_due_amount))
    page.y -= 8
    page.line("This period", bold=True, size=11)
    for label, amount in (
        ("Payments received", statement.payments_total),
        ("   to fees", statement.fees_paid),
        ("   to interest", statement.interest_paid),
        ("   to principal", statement.principal_paid),
        ("Fees assessed", statement.fees_assessed),
        ("Fees waived", statement.fees_waived),
        ("Interest charged", statement.interest_charged),
    ):
        page.pair(label, usd(amount))
    page.y -= 8
    page.line(f"Balances on {statement.period_end:%b %-d, %Y}", bold=True, size=11)
    page.pair("Principal", usd(statement.principal_balance))
    page.pair("Interest accrued and unpaid", usd(statement.accrued_interest))
    page.pair("Unpaid fees", usd(statement.unpaid_fees))
    page.y -= 8
    page.line("Transactions", bold=True, size=11)
    if not statement.lines:
        page.line("No transactions this period.")
    for row in statement.lines:
        page.pair(f"{row['date']}  {row['label']}", usd(Decimal(row["total"])))
    page.y -= 8
    page.line("Messages", bold=True, size=11)
    for paragraph in statement.message.split("\n\n"):
        for chunk in _wrap(paragraph, 95):
            page.line(chunk, size=9, gap=12)
    return page.done()


def _wrap(text: str, width: int) -> list[str]:
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*out, line] if line else out


def year_end_pdf(row: YearEndStatement, *, borrower_name: str) -> bytes:
    loan = row.loan
    page = _Page(f"{row.year} interest statement – loan {loan.loan_number}")
    _head(page, loan, f"{row.year} year-end interest statement")
    page.line(f"To: {borrower_name}", gap=22)
    page.pair(f"Interest paid in {row.year}", usd(row.interest_paid), bold=True)
    page.y -= 10
    for text in (
        "Interest paid counts payments made through iSmartPay with an effective date in the",
        "year, less any that were returned or reversed. Interest on a personal auto loan is",
        "generally not tax-deductible; ask a tax adviser about business use of the vehicle.",
    ):
        page.line(text, size=9, gap=12)
    return page.done()


def paid_in_full_pdf(
    facts: PaidInFull, *, borrower_name: str, title: TitleRelease | None, today
) -> bytes:
    loan = facts.loan
    page = _Page(f"Paid in full – loan {loan.loan_number}")
    _head(page, loan, "Paid-in-full letter")
    page.line(f"Date: {today:%B %-d, %Y}")
    page.line(f"To: {borrower_name}", gap=22)
    for text in (
        f"Your loan {loan.loan_number} for the {loan.vehicle} was paid in full on",
        f"{facts.paid_on:%B %-d, %Y}. Nothing more is owed on it, and no further payments will",
        "be taken. Any autopay on this loan has ended.",
    ):
        page.line(text, size=11, gap=16)
    page.y -= 10
    page.line("Your title", bold=True, size=11)
    if title is None:
        page.line("We will ask for the lien on your title to be released and tell you by email.")
    else:
        page.line(f"Release requested: {title.requested_on:%b %-d, %Y}")
        if title.released_on:
            page.line(f"Lien released: {title.released_on:%b %-d, %Y}")
        if title.sent_on:
            page.line(f"Title {title.get_delivery_display().lower()}: {title.sent_on:%b %-d, %Y}")
    return page.done()
