"""Account activity of one loan: the page, its CSV and its PDF (thin: filter, select, show)."""

import re

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ismartpay.core.today import business_date
from loans.selectors import loan_detail, loan_get_for_user

from ..activity import loan_activity
from ..activity_export import activity_csv_lines, activity_pdf_bytes
from ..activity_presenter import activity_rows
from ..forms.activity import ActivityFilterForm
from ..history import CSV_CONTENT_TYPE


def _rows(request, loan):
    form = ActivityFilterForm(request.GET or None)
    form.is_valid()  # unbound: no errors; bound: field errors shown, valid fields applied
    return form, activity_rows(loan_activity(loan, form.filters()))


@login_required
@require_GET
def activity(request, loan_id: int):
    loan = loan_get_for_user(request.user, loan_id)
    form, rows = _rows(request, loan)
    context = {
        "loan": loan,
        "detail": loan_detail(loan, today=business_date(loan.lender)),  # money: the lender's date
        "form": form,
        "rows": list(reversed(rows)),  # newest first on the page
        "query": request.GET.urlencode(),
        "filtered": any(request.GET.values()),
    }
    return render(request, "payments/activity.html", context)


@login_required
@require_GET
def activity_csv(request, loan_id: int):
    loan = loan_get_for_user(request.user, loan_id)
    _, rows = _rows(request, loan)
    response = StreamingHttpResponse(activity_csv_lines(rows), content_type=CSV_CONTENT_TYPE)
    number = re.sub(r"[^A-Za-z0-9-]", "", loan.loan_number)
    name = f"ismartpay-activity-{number}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def activity_pdf(request, loan_id: int):
    loan = loan_get_for_user(request.user, loan_id)
    _, rows = _rows(request, loan)
    pdf = activity_pdf_bytes(loan, rows, title=f"Account activity – loan {loan.loan_number}")
    response = HttpResponse(pdf, content_type="application/pdf")
    number = re.sub(r"[^A-Za-z0-9-]", "", loan.loan_number)
    response["Content-Disposition"] = f'inline; filename="activity-{number}.pdf"'
    return response
