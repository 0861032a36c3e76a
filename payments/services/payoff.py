"""What paying off a loan sets in motion: its scheduled and held one-time payments are
cancelled and its autopay ends, and the people who set them up are told. Autopay ends through
one call, `loan_paid_off_end_autopay`, from a payment's posting and from the nightly run."""

import datetime as dt

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
    if AutopayPlan.objects.filter(loan_id=loan_id, status__in=AutopayPlan.LIVE_STATUSES).exists():
        transaction.on_commit(lambda: loan_paid_off_end_autopay(loan_id=loan_id))
    return cancelled


def loan_paid_off_end_autopay(*, loan_id: int, on: dt.date | None = None) -> int:
    """End the loan's live autopay plans (each owner is emailed) when the loan is paid off: its
    status is PAID_OFF or, given the business date `on`, nothing is left to pay as of it (the
    nightly run's check after a charge, or a debit skipped on a closed loan). A loan charged off
    or closed with a balance keeps its plan. Returns how many plans ended."""
    from loans.selectors import loan_position

    from ..autopay.system_stops import autopay_end

    loan = Loan.objects.get(pk=loan_id)
    paid_off = loan.status == Loan.Status.PAID_OFF
    if not paid_off and (on is None or loan_position(loan, on).payoff != 0):
        return 0
    live = AutopayPlan.objects.filter(loan_id=loan_id, status__in=AutopayPlan.LIVE_STATUSES)
    ended = 0
    for plan_id in live.values_list("pk", flat=True):
        plan = autopay_end(plan_id=plan_id, reason=AUTOPAY_PAID_OFF_REASON, kind="paid_off")
        ended += plan is not None
    return ended


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
