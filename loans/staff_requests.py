"""Staff money actions on a loan with four eyes: a fee waiver, a credit adjustment, a refund or
a reversal of a payment.

`staff_action_submit` either acts at once (a supervisor holding the action's permission, the
amount at or below the lender's `four_eyes_threshold`) or records a pending `StaffRequest`
with the balances before and after (computed with the pure maths, nothing written). Another
supervisor approves (`staff_request_approve`) or rejects it. Approval claims the request under
its row lock (pending → approved, committed), then runs the same service acting alone runs,
with the request's idempotency key, and marks it executed: two approvals at once execute once.
Nobody decides their own request (refused here and by a database constraint).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .allocation import AllocationError, Balances
from .four_eyes import (
    balances_after_credit,
    balances_after_reversal,
    balances_after_waiver,
    needs_second_approval,
    snapshot,
)
from .models import Loan, LoanPosting, StaffRequest
from .selectors import loan_balances_on
from .services import LoanPostingError, loan_waive_fee
from .servicing import loan_credit_adjustment

K = StaffRequest.Kind
S = StaffRequest.Status
# The permission that lets a supervisor do each action (alone at or below the threshold, or
# approve it above); `loans.request_adjustment` lets an agent only ask.
ACT_PERMISSION = {
    K.WAIVE_FEE: "accounts.waive_fee",
    K.CREDIT: "loans.post_credit",
    K.REFUND: "accounts.issue_refund",
    K.REVERSE: "accounts.reverse_payment",
}
REQUEST_PERMISSION = "loans.request_adjustment"
APPROVE_PERMISSION = "loans.approve_request"


class StaffActionError(ValueError):
    """Refused or failed; the message is for the staff member."""


class StaffActionNotAllowed(StaffActionError):
    """The staff member's role does not allow this (the admin answers 403 or shows it)."""


@dataclass(frozen=True)
class Outcome:
    request: StaffRequest | None  # a new pending request, or None when done at once
    posting: LoanPosting | None  # the ledger row made at once, if any


def _payment_errors() -> tuple[type[Exception], ...]:
    from payments.errors import PaymentError

    return (PaymentError, LoanPostingError, AllocationError)


def may_act_alone(user, kind: str, amount: Decimal, loan: Loan) -> bool:
    return user.has_perm(ACT_PERMISSION[kind]) and not needs_second_approval(
        amount, loan.lender.four_eyes_threshold
    )


def preview(
    *, kind: str, loan: Loan, amount: Decimal, on: dt.date, payment=None
) -> tuple[Balances, Balances]:
    """Balances on `on` before and after the action, without writing anything."""
    before = loan_balances_on(loan, on)  # SCRA caps included (loans/selectors.py)
    if kind == K.WAIVE_FEE:
        return before, balances_after_waiver(before, amount)
    if kind == K.CREDIT:
        return before, balances_after_credit(before, amount)
    posting_id = payment.loan_posting_id if payment is not None else None
    posting = LoanPosting.objects.filter(pk=posting_id).first() if posting_id else None
    if posting is None:  # a pending debit not applied yet: the balances do not move
        return before, before
    return before, balances_after_reversal(
        before,
        fees=posting.fees,
        interest=posting.interest,
        principal=posting.principal,
        apr_percent=loan.apr_percent,
        effective_date=posting.effective_date,
        on=on,
    )


def _amount_of(kind: str, amount: Decimal | None, payment) -> Decimal:
    if kind in (K.REFUND, K.REVERSE):
        return payment.amount  # the whole payment: partial refunds are not this action
    if not isinstance(amount, Decimal) or amount <= 0:
        raise StaffActionError("Enter a positive amount.")
    return amount


def _execute(*, kind, loan_id, payment_id, amount, reason, actor, on, key) -> LoanPosting | None:
    from payments.models import Payment
    from payments.services import payment_refund, payment_reverse

    if kind == K.WAIVE_FEE:
        return loan_waive_fee(
            loan_id=loan_id, amount=amount, reason=reason, actor=actor, on=on, idempotency_key=key
        )
    if kind == K.CREDIT:
        return loan_credit_adjustment(
            loan_id=loan_id, amount=amount, reason=reason, actor=actor, on=on, idempotency_key=key
        )
    service = payment_refund if kind == K.REFUND else payment_reverse
    service(payment_id=payment_id, reason=reason, actor=actor)
    posting_id = Payment.objects.values_list("loan_posting_id", flat=True).get(pk=payment_id)
    return LoanPosting.objects.filter(reverses_id=posting_id).first() if posting_id else None


def staff_action_submit(
    *,
    kind: str,
    loan_id: int,
    reason: str,
    actor,
    on: dt.date,
    amount: Decimal | None = None,
    payment_id: int | None = None,
) -> Outcome:
    """Do the action now when `actor` may act alone, else record a pending request."""
    from payments.models import Payment

    if not reason or not reason.strip():
        raise StaffActionError("Give a reason.")
    if not (actor.has_perm(ACT_PERMISSION[kind]) or actor.has_perm(REQUEST_PERMISSION)):
        raise StaffActionNotAllowed("Your role can't do or request this.")
    loan = Loan.objects.select_related("lender").get(pk=loan_id)
    payment = None
    if payment_id is not None:
        payment = Payment.objects.get(pk=payment_id, loan=loan)
    amount = _amount_of(kind, amount, payment)
    try:
        before, after = preview(kind=kind, loan=loan, amount=amount, on=on, payment=payment)
    except AllocationError as exc:
        raise StaffActionError(str(exc)) from exc
    if may_act_alone(actor, kind, amount, loan):
        try:
            posting = _execute(
                kind=kind,
                loan_id=loan_id,
                payment_id=payment_id,
                amount=amount,
                reason=reason,
                actor=actor,
                on=on,
                key=None,
            )
        except _payment_errors() as exc:
            raise StaffActionError(str(exc)) from exc
        return Outcome(request=None, posting=posting)
    request = StaffRequest.objects.create(
        kind=kind,
        loan=loan,
        payment=payment,
        amount=amount,
        reason=reason.strip(),
        requested_by=actor,
        before=snapshot(before),
        after=snapshot(after),
    )
    return Outcome(request=request, posting=None)


def _claim(request_id: int, actor, to: str, note: str) -> StaffRequest:
    with transaction.atomic():
        request = StaffRequest.objects.select_for_update().get(pk=request_id)
        if not (
            actor.has_perm(APPROVE_PERMISSION) and actor.has_perm(ACT_PERMISSION[request.kind])
        ):
            raise StaffActionNotAllowed("Only a supervisor can decide this request.")
        if request.requested_by_id == actor.pk:
            raise StaffActionNotAllowed(
                "You can't approve or reject your own request; another supervisor must."
            )
        if request.status != S.PENDING:
            raise StaffActionError(
                f"This request is already {request.get_status_display().lower()}."
            )
        request.status = to
        request.decided_by = actor
        request.decided_at = timezone.now()
        request.decision_note = note[:200]
        request.save(
            update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"]
        )
        return request


def staff_request_reject(*, request_id: int, actor, note: str = "") -> StaffRequest:
    return _claim(request_id, actor, S.REJECTED, note)


def staff_request_approve(*, request_id: int, actor, on: dt.date, note: str = "") -> StaffRequest:
    """Approve and execute a pending request exactly once (see the module docstring).

    When the action is refused as the loan now stands (e.g. the fees were paid meanwhile), the
    claim is released (pending again) and the reason raised; a refund the processor has not
    confirmed yet stays claimed by the payment and is finished by the recovery sweep, so the
    request counts as executed."""
    request = _claim(request_id, actor, S.APPROVED, note)
    try:
        posting = _execute(
            kind=request.kind,
            loan_id=request.loan_id,
            payment_id=request.payment_id,
            amount=request.amount,
            reason=f"{request.reason} (approved by {actor.email})",
            actor=actor,
            on=on,
            key=f"staff-request:{request.pk}",
        )
    except _payment_errors() as exc:
        if not _refund_claimed(request):
            StaffRequest.objects.filter(pk=request.pk, status=S.APPROVED).update(
                status=S.PENDING, decided_by=None, decided_at=None, updated_at=timezone.now()
            )
            raise StaffActionError(f"Not done: {exc} The request is still waiting.") from exc
        posting = None
    request.status = S.EXECUTED
    request.posting = posting
    request.save(update_fields=["status", "posting", "updated_at"])
    return request


def _refund_claimed(request: StaffRequest) -> bool:
    if request.kind != K.REFUND:
        return False
    from payments.models import Payment

    return Payment.objects.filter(pk=request.payment_id, status=Payment.Status.REFUNDING).exists()
