"""Payment history page, its CSV export and the PDF receipt of one payment."""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.decorators import payments_access_required

from ..forms.history import HistoryFilterForm
from ..history import (
    CSV_CONTENT_TYPE,
    PAGE_SIZE,
    history_csv_lines,
    history_loans_for_user,
    history_rows,
    payment_history_for_user,
    receipt_pdf_bytes,
)
from ..history_fees import fee_activity_for_user
from ..models import Payment
from ..selectors import payment_get_for_user


def _filtered_history(request) -> tuple[HistoryFilterForm, QuerySet[Payment]]:
    """The filter form and the payments it selects. The loans linked to the user are read
    once: the form's choices and the access rule's ids."""
    loans = list(history_loans_for_user(request.user))
    form = HistoryFilterForm(request.GET or None, loans=loans)
    form.is_valid()  # unbound: no errors; bound: field errors shown, valid fields applied
    return form, payment_history_for_user(request.user, form.filters(), linked_loans=loans)


@payments_access_required
@require_GET
def history(request):
    form, payments = _filtered_history(request)
    page = Paginator(payments, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": history_rows(page.object_list),
        "query": query.urlencode(),
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        "fee_lines": fee_activity_for_user(request.user),
    }
    return render(request, "payments/history/list.html", context)


@payments_access_required
@require_GET
def history_csv(request):
    _, payments = _filtered_history(request)
    response = StreamingHttpResponse(history_csv_lines(payments), content_type=CSV_CONTENT_TYPE)
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="ismartpay-payments-{day}.csv"'
    return response


@payments_access_required
def receipt_pdf(request, reference: str):
    payment = payment_get_for_user(request.user, reference)  # 404 first, whatever the method
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    response = HttpResponse(receipt_pdf_bytes(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{payment.reference}.pdf"'
    return response
