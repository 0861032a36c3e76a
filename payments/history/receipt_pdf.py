"""The one-page PDF receipt for a payment."""

import io

from django.utils import timezone

from ..models import Payment


def receipt_pdf_bytes(payment: Payment) -> bytes:
    """A one-page receipt: reference, amount, date, loan, status and the method's label (last 4
    only: the label is all we ever keep about a method on the payment)."""
    # Kept whole: one page layout, drawn top to bottom; its offsets (floats, inches) are
    # allowed by this function's name in test_money_code_has_no_float.
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
