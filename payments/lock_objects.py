"""Every row lock on a payment or an autopay plan, in one place (as loans.lock_objects is for
loans). Call these only inside `transaction.atomic()`.

Order: a loan before its payments (payment_for_update), so a charge, a refund and a reversal of
payments on one loan can never wait on each other in a cycle.
"""

from ismartpay.core.arrays import any_of
from loans import lock_objects as loan_locks
from loans.models import Loan

from .models import AutopayPlan, Payment, PaymentMethod


def payment_for_update(payment_id: int) -> tuple[Loan, Payment]:
    """Lock the payment's loan, then the payment: always in this order, so a charge, a refund
    and a reversal of payments on one loan can never wait on each other in a cycle."""
    loan_id = Payment.objects.values_list("loan_id", flat=True).get(pk=payment_id)
    loan = loan_locks.loan_for_update(loan_id)
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("method", "payer")
        .get(pk=payment_id)
    )
    return loan, payment


def payment_ids_for_update(payment_ids, *, statuses) -> set[int]:
    """Lock the payments among `payment_ids` whose status is one of `statuses`, in primary-key
    order, and return their ids (the autopay batch: the caller has locked their loans first)."""
    rows = (
        Payment.objects.select_for_update(of=("self",))
        .filter(any_of("pk", sorted(set(payment_ids))), status__in=statuses)
        .order_by("pk")
    )
    return set(rows.values_list("pk", flat=True))


def payment_row_for_update(payment_id: int, *, related: tuple[str, ...] = ()) -> Payment:
    """Lock the payment row alone, for a change that touches no balance (a recorded failure,
    a settlement, a refund reference). `related` rows are joined and locked with it."""
    query = Payment.objects.select_for_update()
    if related:
        query = query.select_related(*related)
    return query.get(pk=payment_id)


def plan_and_loan_for_update(plan_id: int) -> AutopayPlan:
    """Lock the plan's loan, then the plan: the order loans/servicing takes them (a term
    change locks the loan, then its plans) and the approval of a held payment (loan, then
    payment). A borrower's change that may touch payments (pause, cancel: held_stop.py) takes
    this, so it never waits on a staff change in a cycle (the attacker review helper-69 found
    the deadlock when it took the plan first)."""
    loan_id = AutopayPlan.objects.values_list("loan_id", flat=True).get(pk=plan_id)
    loan_locks.loan_for_update(loan_id)
    return plan_for_update(plan_id)


def plan_for_update(plan_id: int) -> AutopayPlan:
    """Lock one autopay plan row (not its loan) with its loan, lender, method and owner loaded."""
    return (
        AutopayPlan.objects.select_for_update(of=("self",))
        .select_related("loan__lender", "method", "owner")
        .get(pk=plan_id)
    )


def method_for_update(method_id: int) -> PaymentMethod:
    """Lock one saved payment method row."""
    return PaymentMethod.objects.select_for_update().get(pk=method_id)
