"""Recording an autopay charge's outcome on its debit: charged, declined (retry or fail, the
borrower is emailed), refused before the processor call (`payment_submit` raised, or the charge
gate cancelled the payment), and ending the plan once the loan is paid off. Each step is
idempotent: a conditional UPDATE, or a locked row checked for still being SUBMITTING under the
payment's key."""

import datetime as dt

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from loans.models import Loan

from ..declines import reason_for
from ..models import AutopayDebit, AutopayPlan, Payment
from ..services.payoff import loan_paid_off_end_autopay
from .reschedule import autopay_return_of_a_moved_installment

D = AutopayDebit.Status
P = AutopayPlan.Status
PS = Payment.Status
MAX_ATTEMPTS = 3  # per period: the first try and at most two retries (NACHA: 3 presentments)
RETRY_BACKOFF = dt.timedelta(minutes=15)  # 15 min, then 1 h (x4 each time)
SUCCESS = (PS.POSTED, PS.PENDING, PS.SETTLED)
CLOSED_LOAN = (Loan.Status.PAID_OFF, Loan.Status.CLOSED, Loan.Status.CHARGED_OFF)


def autopay_finish(
    debit_id: int, payment: Payment, *, now: dt.datetime, on: dt.date, may_pay_off: bool = True
) -> str:
    """Record the payment's outcome on the debit (idempotent). A success is two conditional
    UPDATEs (the debit, only while it is still SUBMITTING under this key; the plan's last
    amount); a decline locks the row to decide on a retry and email the borrower."""
    if payment.status in SUCCESS:
        return _finish_charged(debit_id, payment, on=on, may_pay_off=may_pay_off)
    if payment.status == PS.CANCELLED:  # the charge gate refused it: nothing was charged
        return _finish_cancelled(debit_id, payment, on=on)
    if payment.status != PS.FAILED:  # SUBMITTING / UNKNOWN: the sweep asks the processor
        still_ours = Q(pk=debit_id, status=D.SUBMITTING, idempotency_key=payment.idempotency_key)
        AutopayDebit.objects.filter(still_ours).update(payment=payment, updated_at=timezone.now())
        return "pending"
    return _finish_declined(debit_id, payment, now=now)


def _finish_charged(debit_id: int, payment: Payment, *, on: dt.date, may_pay_off: bool) -> str:
    """The debit CHARGED (only while still SUBMITTING under this key) and the plan's last
    amount, in one transaction; then, if it may have, the loan paid off ends the plan."""
    table, key = AutopayDebit._meta.db_table, payment.idempotency_key
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} SET status = %s, reason = '', payment_id = %s, "  # noqa: S608
            "updated_at = %s WHERE id = %s AND status = %s AND idempotency_key = %s "
            "RETURNING plan_id, amount",
            [D.CHARGED, payment.pk, timezone.now(), debit_id, D.SUBMITTING, key],
        )
        row = cur.fetchone()
        if row is None:
            return "done"
        plan_id, amount = row
        AutopayPlan.objects.filter(pk=plan_id).update(last_amount=amount)
    if may_pay_off:
        loan_paid_off_end_autopay(loan_id=payment.loan_id, on=on)
    return "charged"


def _finish_declined(debit_id: int, payment: Payment, *, now: dt.datetime) -> str:
    """Under the debit's lock: RETRY (a retryable decline with attempts left, after the
    back-off: 15 min, then ×4) or FAILED; the borrower is emailed after the commit."""
    with transaction.atomic():
        debit = (
            AutopayDebit.objects.select_for_update(of=("self",))
            .select_related("plan__loan", "plan__owner")
            .get(pk=debit_id)
        )
        if debit.status != D.SUBMITTING or debit.idempotency_key != payment.idempotency_key:
            return "done"
        debit.payment = payment
        reason = reason_for(payment.decline_code)
        debit.reason = payment.decline_code
        if reason.retryable and debit.attempts < MAX_ATTEMPTS:
            debit.status = D.RETRY
            debit.next_attempt_at = now + RETRY_BACKOFF * (4 ** (debit.attempts - 1))
        else:
            debit.status = D.FAILED
        debit.save(update_fields=["payment", "status", "reason", "next_attempt_at", "updated_at"])
    _email_failure(debit, reason, debit.status == D.RETRY)
    return "retry" if debit.status == D.RETRY else "failed"


def _finish_refused(debit_id: int, message: str, *, suspend: bool) -> str:
    with transaction.atomic():
        debit = (
            AutopayDebit.objects.select_for_update()
            .select_related("plan__owner", "plan__loan")
            .get(pk=debit_id)
        )
        if debit.status != D.SUBMITTING:
            return "done"
        debit.status = D.FAILED
        debit.reason = message[:200]
        debit.save(update_fields=["status", "reason", "updated_at"])
    _email_failure(debit, None, False, message=message)
    if suspend:
        from .system_stops import autopay_suspend

        autopay_suspend(plan_id=debit.plan_id, reason=message)
    return "failed"


def refusals_followups(refused: list, closed: list, *, on: dt.date) -> None:
    """After the set path (batch.py) committed: a debit the charge gate refused tells its
    borrower (an unusable method suspends the plan, as `_finish_refused`); a closed loan's
    plan ends. `refused`: (debit, rules.Refusal) pairs; `closed`: debits."""
    from ..rules import METHOD

    for debit, refusal in refused:
        _email_failure(debit, None, False, message=refusal.message)
        if refusal.code == METHOD:
            from .system_stops import autopay_suspend

            autopay_suspend(plan_id=debit.plan_id, reason=refusal.message)
    for debit in closed:
        loan_paid_off_end_autopay(loan_id=debit.plan.loan_id, on=on)


def _email_failure(debit: AutopayDebit, reason, will_retry: bool, message: str = "") -> None:
    from django.urls import reverse

    from ..notifications import notice_send

    plan = debit.plan
    notice_send(
        kind="autopay_failed",
        dedupe_key=f"autopay:{plan.pk}:failed:{debit.period_key}:{debit.attempts}",
        to=plan.owner.email,
        subject=f"Your automatic payment of ${debit.amount:,} didn't go through",
        template="payments/email/autopay_failed.txt",
        context={
            "plan": plan,
            "loan": plan.loan,
            "debit": debit,
            "reason": reason,
            "message": message,
            "will_retry": will_retry,
            "pay_path": reverse("payments:pay", args=[plan.loan_id]),
        },
    )


def autopay_finish_by_key(payment: Payment, *, now: dt.datetime, on: dt.date) -> str:
    """The payment sweep resolved an autopay payment: record it on its debit (idempotent)."""
    debit_id = (
        AutopayDebit.objects.filter(idempotency_key=payment.idempotency_key, status=D.SUBMITTING)
        .values_list("pk", flat=True)
        .first()
    )
    return "done" if debit_id is None else autopay_finish(debit_id, payment, now=now, on=on)


def _finish_cancelled(debit_id: int, payment: Payment, *, on: dt.date) -> str:
    """The charge gate cancelled the payment right before the processor call (the loan is paid
    off, the method is gone, the amount no longer fits, the mandate lapsed): a refusal, never
    "pending". What skips a fresh debit skips this one, with the same reason (`_skipped`); a
    loan paid off (or closed) also ends the plan. Otherwise the debit fails with the gate's
    reason, the borrower is told, and an unusable method suspends the plan."""
    reason = payment.status_reason or "The payment was cancelled before it was sent."
    with transaction.atomic():
        debit = (
            AutopayDebit.objects.select_for_update(of=("self",))
            .select_related("plan__loan", "plan__method", "plan__owner")
            .get(pk=debit_id)
        )
        if debit.status != D.SUBMITTING or debit.idempotency_key != payment.idempotency_key:
            return "done"
        loan = debit.plan.loan
        skipped, paid_off = _skipped(debit, on=on)
        debit.payment = payment
        debit.status = D.SKIPPED if skipped or paid_off else D.FAILED
        debit.reason = (skipped or reason)[:200]
        debit.save(update_fields=["payment", "status", "reason", "updated_at"])
    if paid_off:
        loan_paid_off_end_autopay(loan_id=loan.pk, on=on)
    if skipped or paid_off:
        return "skipped"
    _email_failure(debit, None, False, message=reason)
    if not debit.plan.method.is_usable:
        from .system_stops import autopay_suspend

        autopay_suspend(plan_id=debit.plan_id, reason=reason)
    return "failed"


def _skipped(debit: AutopayDebit, *, on: dt.date) -> tuple[str, bool]:
    """Whether a fresh debit would be skipped now, in engine.autopay_charge_debit's order: the
    plan no longer ACTIVE (its reason); the loan paid off or closed (True: the plan ends, the
    gate's reason stands); an account flag pausing autopay on its run date or on `on` (its
    reason; the days the gate checks)."""
    from loans import flags
    from loans.collections import flags_by_loan
    from loans.selectors import loan_position

    from .guards import plan_stopped

    plan, loan = debit.plan, debit.plan.loan
    if stopped := plan_stopped(plan.status):
        return stopped, False
    if loan.status in CLOSED_LOAN or loan_position(loan, on).payoff == 0:
        return "", True
    periods = flags_by_loan([loan.pk]).get(loan.pk, ())
    days = (debit.run_date, on)
    return next(filter(None, (flags.autopay_paused(periods, day) for day in days)), ""), False


# --- ACH returns (target 9) ---------------------------------------------------------------------
def autopay_suspend_returned() -> int:
    """Plans whose autopay debit came back R05/R07/R10/R11/R29 since their last authorization
    stop until the borrower authorizes again (target 9)."""
    from ..declines import ACH_RETURNS
    from .system_stops import autopay_suspend

    codes = [code for code, reason in ACH_RETURNS.items() if reason.suspends_autopay]
    hits = (
        AutopayDebit.objects.filter(
            plan__status=P.ACTIVE,
            payment__status=PS.RETURNED,
            payment__return_code__in=codes,
            run_date__gte=F("plan__charge_from"),
        )
        .values_list("plan_id", "payment__return_code")
        .distinct()
    )
    for plan_id, code in hits:
        autopay_suspend(plan_id=plan_id, reason=f"Your bank returned a payment ({code}).")
    return len(hits)


REPRESENT_AFTER = dt.timedelta(days=2)  # give the borrower's funds time to arrive
REPRESENT_WINDOW = dt.timedelta(days=180)  # NACHA: re-present within 180 days of the entry


def autopay_represent_returned(*, now: dt.datetime) -> int:
    """A debit returned R01 (insufficient funds) or R09 (uncollected funds) goes back to RETRY
    for a new presentment, under a new attempt key: at most twice (3 entries in all, the same
    MAX_ATTEMPTS that bounds soft-decline retries), within 180 days of the first entry; not
    when the installment's due date moved since (reschedule.py)."""
    from ..declines import ACH_RETURNS

    codes = [code for code, reason in ACH_RETURNS.items() if reason.retryable]
    candidates = AutopayDebit.objects.filter(
        status=D.CHARGED,
        attempts__lt=MAX_ATTEMPTS,
        plan__status=P.ACTIVE,
        payment__status=PS.RETURNED,
        payment__return_code__in=codes,
        created_at__gte=now - REPRESENT_WINDOW,
    ).values_list("pk", "payment__return_code")
    represented = 0
    for debit_id, code in candidates:
        if autopay_return_of_a_moved_installment(debit_id=debit_id, code=code, now=now):
            continue  # its installment's due date moved: collected on the new one instead
        # Conditional update: two runners cannot both re-present the same return.
        represented += AutopayDebit.objects.filter(pk=debit_id, status=D.CHARGED).update(
            status=D.RETRY, next_attempt_at=now + REPRESENT_AFTER, reason=f"re-present {code}"
        )
    return represented
