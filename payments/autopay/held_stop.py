"""A borrower's pause or cancel stops the plan's payments still waiting for staff review, and
its debits waiting for a time (`autopay_stop_waiting`).

A debit whose payment the fraud rules held (payments/risk.py) has not been charged: the
borrower may stop it like any payment not yet made (12 CFR 1005.10(c)). Pause and cancel are
let through while one waits (guards.check_change_window, `stops_held`) and stop it here, at
once, in the same transaction: the payment is CANCELLED with the reason and the payer is
emailed; the debit is SKIPPED. Leaving it to the charge gate at approval was not enough: a
plan paused then resumed before the review was ACTIVE again, and the approved payment was
charged on a day no notice named (attacker review helper-67).

Locks: the plan (the caller's), then each payment's loan and the payment
(lock_objects.payment_for_update, the approval's order). A payment approved a moment before
is no longer HELD under its lock: it is being charged, and the change is refused.
"""

from ..lock_objects import payment_for_update
from ..models import AutopayDebit, AutopayPlan, Payment
from ..rules import AUTOPAY
from ..services.refusals import payment_cancel_refused
from .guards import being_processed
from .period_order import held_for_review

D = AutopayDebit.Status
STOPPED = "stopped by the borrower before the review"  # the debit's reason


def autopay_stop_held(plan: AutopayPlan, *, actor, role: str, what: str) -> list[str]:
    """Cancel the payments of `plan`'s debits waiting for review (the plan locked by the
    caller); `what` is the borrower's change ("pause autopay"). Returns the stopped periods'
    keys (ISO dates), for the event."""
    held = plan.debits.filter(held_for_review(), status__in=(D.CLAIMED, D.SUBMITTING))
    stopped = []
    for debit_id, key, period_key in held.values_list("pk", "idempotency_key", "period_key"):
        payment_id = Payment.objects.filter(idempotency_key=key).values_list("pk", flat=True)[0]
        _loan, payment = payment_for_update(payment_id)
        if payment.status != Payment.Status.HELD:  # approved meanwhile: being charged
            raise being_processed(period_key, what)
        payment_cancel_refused(
            payment,
            reason=f"You chose to {what} before our review of this payment finished, so it "
            "was not made.",
            refused=AUTOPAY,
            actor=actor,
            actor_label=role,
        )
        AutopayDebit.objects.filter(pk=debit_id).update(status=D.SKIPPED, reason=STOPPED)
        stopped.append(period_key.isoformat())
    return stopped


def autopay_stop_waiting(plan: AutopayPlan, reason: str) -> None:
    """Skip `plan`'s debits waiting for a time (a retry, a period waiting for an earlier one)
    with `reason`: resumed within that wait, one was charged on a day no notice named (the
    attacker review helper-69); the periods while a plan is paused are not caught up."""
    plan.debits.filter(status__in=AutopayDebit.TIMED_STATUSES).update(
        status=D.SKIPPED, reason=reason
    )
