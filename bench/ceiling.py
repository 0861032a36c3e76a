"""The bare ceiling for the page benchmarks (issue 15): one signed-in view, four statements.

Served by bench/wsgi.py behind only the session, auth and allauth middleware, beside the product
in the same gunicorn, so each page is measured against it in one run. The product's URLs
include it only when the BENCH_CEILING setting is on (never in production).
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import path

from loans.models import Loan
from payments.models import Payment

LAST_PAYMENTS = 10


@login_required
def ceiling(request, loan_id: int):
    """The loan plus its last 10 payments: session, user, loan, payments — 4 statements."""
    loan = get_object_or_404(Loan, pk=loan_id, links__user=request.user)
    payments = list(
        Payment.objects.filter(loan=loan).order_by("-created_at", "-pk")[:LAST_PAYMENTS]
    )
    return render(request, "bench/ceiling.html", {"loan": loan, "payments": payments})


urlpatterns = [
    path("bench/ceiling/<int:loan_id>/", ceiling, name="ceiling"),
    # The same view behind the product's whole middleware (bench/wsgi.py sends only
    # /bench/ceiling/ to the bare handler): what security and sessions cost before any page.
    path("bench/floor/<int:loan_id>/", ceiling, name="ceiling_floor"),
]
