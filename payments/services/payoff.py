"""What paying off a loan sets in motion: its scheduled and held one-time payments are
cancelled and its autopay ends, and the people who set them up are told."""

from django.db import transaction

from loans.models import Loan

from ..models import AutopayPlan, Payment
from .refusals import payment_cancel_refused

S = Payment.Status
PAID_OFF_REASON = "Your loan is paid off, so this payment was cancelled. Nothing was charged."
AUTOPAY_PAID_OFF_REASON = "Your loan is paid off. Congratulations!"  # the ended plan's reason


def loan_paid_off_followups(*, loan_id: int, paid_by: Payment | None = None) -> int:
    """Call inside the transaction that posted the payment, with the loan locked. When the loan
    is now paid off, cancel every scheduled or held payment on it (each payer is emailed) and,
    once this commits, end its autopay. Returns how many payments were cancelled."""
    if not Loan.objects.filter(pk=loan_id, status=Loan.Status.PAID_OFF).exists():
        return 0
    waiting = (
        Payment.objects.select_for_update()
        .filter(loan_id=loan_id, status__in=Payment.WAITING_STATUSES)
        .order_by("pk")
    )
    cancelled = 0
    for payment in waiting:
        payment_cancel_refused(
            payment,
            reason=PAID_OFF_REASON,
            refused="loan_closed",
            actor_label="system:payoff",
            detail={"paid_off_by": paid_by.reference if paid_by else ""},
        )
        cancelled += 1
    plan_ids = list(
        AutopayPlan.objects.filter(
            loan_id=loan_id, status__in=AutopayPlan.LIVE_STATUSES
        ).values_list("pk", flat=True)
    )
    if plan_ids:
        transaction.on_commit(lambda: _end_plans(plan_ids))
    return cancelled


def _end_plans(plan_ids: list[int]) -> None:
    from ..autopay.services import autopay_end

    for plan_id in plan_ids:
        autopay_end(plan_id=plan_id, reason=AUTOPAY_PAID_OFF_REASON, kind="paid_off")


def loan_reopened_without_autopay(*, loan_id: int, was_paid_off: bool) -> bool:
    """A paid-off loan is open again (a payment came back) and its autopay, ended at payoff,
    stays ended: it is not re-enrolled, because the borrower's authorization ended with it.
    The borrower is told so (the `returned_reopened` email) and staff see it on the return page."""
    if not was_paid_off or Loan.objects.filter(pk=loan_id, status=Loan.Status.PAID_OFF).exists():
        return False
    plans = AutopayPlan.objects.filter(loan_id=loan_id)
    return (
        plans.filter(status=AutopayPlan.Status.ENDED, ended_reason=AUTOPAY_PAID_OFF_REASON).exists()
        and not plans.filter(status__in=AutopayPlan.LIVE_STATUSES).exists()
    )
