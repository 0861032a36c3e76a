"""Reads for payment pages; every object read is access-checked (404 for anyone else)."""

import datetime as dt

from django.db.models import Q, QuerySet

from ismartpay.core.errors import NotFound
from loans.models import LoanLink

from .models import Payment, PaymentMethod


def methods_for_user(user) -> QuerySet[PaymentMethod]:
    return PaymentMethod.objects.filter(owner=user, removed_at__isnull=True).order_by(
        "-is_default", "-created_at"
    )


def usable_methods(methods, *, on: dt.date) -> list[PaymentMethod]:
    """Of the saved `methods`, those that can take a payment on `on` (verified, not expired):
    the pay form's and the autopay forms' choices."""
    return [m for m in methods if m.can_debit(on=on)]


def method_get_for_user(user, method_id) -> PaymentMethod:
    method = methods_for_user(user).filter(pk=method_id).first()
    if method is None:
        raise NotFound
    return method


def payments_visible_to(user, *, linked_loan_ids: list[int] | None = None) -> QuerySet[Payment]:
    """Payments on loans the user may see (borrower, co-borrower, invited third party), plus
    any payment the user made. `linked_loan_ids`: only the ids of
    payments.history.history_loans_for_user(user) (every loan with a LoanLink of theirs:
    the same set), when the caller has just read those loans for the history's filter; one
    statement fewer (issue 15). Other ids would widen what the user sees. None reads them."""
    if not getattr(user, "is_authenticated", False):
        return Payment.objects.none()
    # loan_id IN (the user's loans) rather than a join: no duplicate rows, so no DISTINCT, and
    # the history paginator's COUNT is a plain count (issue 15). The ids are read first, as a
    # list: `loan_id IN (subquery) OR payer_id = …` cannot use an index, so PostgreSQL scanned
    # every payment (628,727 in the bench) on each history page; with the ids as constants
    # both sides are index scans (a BitmapOr), for one small statement more.
    linked = linked_loan_ids
    if linked is None:
        linked = list(LoanLink.objects.filter(user=user).values_list("loan_id", flat=True))
    return Payment.objects.filter(Q(loan_id__in=linked) | Q(payer=user))


def payment_get_for_user(user, reference: str) -> Payment:
    payment = (
        payments_visible_to(user)
        .select_related("loan__lender", "method", "payer")
        .filter(reference=reference)
        .first()
    )
    if payment is None:
        raise NotFound
    return payment


def method_waiting_payments(method: PaymentMethod):
    """One-time payments that will still take money from `method`: scheduled or held."""
    return Payment.objects.filter(method=method, status__in=Payment.WAITING_STATUSES)


def method_live_plans(method: PaymentMethod):
    """Autopay plans that pay with `method` and may debit it again (active, paused,
    suspended)."""
    from .models import AutopayPlan

    return AutopayPlan.objects.filter(method=method, status__in=AutopayPlan.LIVE_STATUSES)
