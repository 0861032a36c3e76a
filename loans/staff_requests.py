"""Staff money actions with four eyes: a fee waiver, a credit adjustment, a refund or a
reversal of a payment, money received in hand (check, wire, cash network), a remittance file
(one request for the whole batch: its total counts), a returned check, a payment moved to
another loan, suspense applied to a loan or refunded, a rate change, and an account flag that
changes money (hardship, SCRA: no amount, so always a second supervisor).

`staff_action_submit` either acts at once — the staff member holds the action's permission and
`may_act_alone` (four_eyes_rule.py) says the amount, with what was done alone today, is at or
below the lender's `four_eyes_threshold` — or records a pending `StaffRequest` with the
balances before and after (computed with the pure maths, nothing written). Another supervisor
approves (`staff_request_approve`) or rejects it; nobody decides their own (refused here and by
a database constraint). Acting alone is recorded too (a request approved at once, no decider):
its amount counts against the threshold for the rest of the lender's business day, and the
recovery sweep finishes it if the process died before it executed (staff_requests_resume.py).

Approval claims the request under its row lock (pending → approved, committed); execution then
locks the row again, runs the one service for the kind (loans/staff_request_exec.py) with the
request's idempotency key and marks it executed in the same transaction: two approvals, or an
approval and the sweep, execute once. A form's one-time token (`token`) names the request, so
a resubmitted form returns the first outcome — only when the same person resubmits the same
action (kind, loan, payment, amount, params: `submit_fingerprint`); the token with anything
else is refused (FormAlreadyUsed) and nothing is written.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from ismartpay.core.submit_token import FORM_ALREADY_USED, submit_fingerprint
from ismartpay.core.today import business_date

from . import lock_objects as loan_locks
from . import staff_request_exec
from . import staff_request_kinds as kinds
from .four_eyes_rule import (
    ACT_PERMISSION,
    APPROVE_PERMISSION,
    REQUEST_PERMISSION,
    REQUESTABLE,
    may_act_alone,
)
from .models import Lender, Loan, LoanPosting, StaffRequest
from .staff_request_kinds import preview  # noqa: F401  (the admin's page imports it from here)

logger = logging.getLogger("ismartpay.staff_requests")
K = StaffRequest.Kind
S = StaffRequest.Status


class StaffActionError(ValueError):
    """Refused or failed; the message is for the staff member."""


class StaffActionNotAllowed(StaffActionError):
    """The staff member's role does not allow this (the admin answers 403 or shows it)."""


class FormAlreadyUsed(StaffActionError):
    """The form's one-time token was already used for another action (another loan, amount,
    person…): a replay would hide that this one was never done. The admin shows it at the
    form's top."""


@dataclass(frozen=True)
class Outcome:
    request: StaffRequest | None  # a pending request, or None when done at once
    posting: LoanPosting | None  # the ledger row made at once, if any
    done: StaffRequest | None = None  # the record of the action done alone
    replayed: bool = False  # a resubmitted form: this is the first submit's outcome


def _replay_of(key: str | None, fingerprint: str) -> "Outcome | None":
    """The first outcome of this form, when it asked for exactly this; refused when the token
    was used for anything else (nothing written, nothing replayed)."""
    first = StaffRequest.objects.filter(submit_key=key).first() if key else None
    if first is None:
        return None
    if first.submit_fingerprint != fingerprint:
        raise FormAlreadyUsed(FORM_ALREADY_USED)
    return _replay(first)


def _refuse_role(actor, kind: str) -> None:
    if actor.has_perm(ACT_PERMISSION[kind]):
        return
    if kind in REQUESTABLE and actor.has_perm(REQUEST_PERMISSION):
        return
    raise StaffActionNotAllowed("Your role can't do or request this.")


def staff_action_submit(
    *,
    kind: str,
    loan_id: int | None,
    reason: str,
    actor,
    on: dt.date,
    amount: Decimal | None = None,
    payment_id: int | None = None,
    params: dict | None = None,
    token: str = "",
) -> Outcome:
    """Do the action now when `actor` may act alone, else record a pending request (audited).
    `token` is the form's one-time token: the same token again returns the first outcome."""
    # Kept whole: the loan's lock, the second replay check, the act-alone decision and the
    # request row are one transaction, read top to bottom; the length is the row's fields.
    reason = (reason or "").strip()
    if not reason:
        raise StaffActionError("Give a reason.")
    _refuse_role(actor, kind)
    key = f"{kind}:{token}"[:120] if token else None
    fingerprint = submit_fingerprint(
        actor=actor,
        kind=kind,
        loan_id=loan_id,
        payment_id=payment_id,
        amount=amount,
        params=params,
    )
    replay = _replay_of(key, fingerprint)
    if replay is not None:  # a resubmit: the first outcome, even if it could not be done again
        return replay
    loan, payment, amount, params, before, after = _prepare(
        kind=kind,
        loan_id=loan_id,
        payment_id=payment_id,
        amount=amount,
        params=params,
        reason=reason,
        on=on,
    )
    lender = loan.lender if loan is not None else kinds.lender_of(kind, params)
    with transaction.atomic():
        if loan is not None:  # one decision at a time per loan: the day's sum can't race
            loan_locks.loan_for_update(loan.pk)
        elif lender is not None:  # a remittance file: one at a time per lender
            Lender.objects.select_for_update().get(pk=lender.pk)
        replay = _replay_of(key, fingerprint)
        if replay is not None:  # submitted twice at once: the other one won the lock
            return replay
        alone = may_act_alone(actor, kind, amount, loan, lender=lender)
        request = StaffRequest.objects.create(
            kind=kind,
            loan=loan,
            lender=lender,
            payment=payment,
            amount=amount,
            params=params,
            reason=reason,
            requested_by=actor,
            before=before,
            after=after,
            acted_alone=alone,
            status=S.APPROVED if alone else S.PENDING,
            business_date=business_date(lender),
            submit_key=key,
            submit_fingerprint=fingerprint if key else "",
        )
        if not alone:
            _audit_request_made(request, actor=actor, reason=reason, loan_id=loan_id)
            return Outcome(request=request, posting=None)
    return _do_now(request, actor=actor, on=on, reason=reason)


def _audit_request_made(request: StaffRequest, *, actor, reason: str, loan_id: int | None):
    audit_record(
        actor=actor,
        action="staff_request.create",
        target=request,
        reason=reason,
        details={
            "kind": request.kind,
            "amount": str(request.amount),
            "loan": loan_id,
            **_brief(request.params),
        },
    )


def _do_now(request: StaffRequest, *, actor, on: dt.date, reason: str) -> Outcome:
    """Carry out an approved-alone request; when it can't be done, the request goes too."""
    try:
        posting = _finish(request, actor=actor, on=on, reason=reason)
    except StaffActionError:
        request.delete()  # nothing was done: the person sees why, and may submit again
        raise
    request.refresh_from_db()
    return Outcome(request=None, posting=posting, done=request)


def _brief(params: dict) -> dict:
    """Params for the audit row (a remittance file's lines are counted, not copied)."""
    if "lines" in params:
        return {**params, "lines": len(params["lines"])}
    return params


def request_lender(request: StaffRequest):
    """The lender whose business day the request is decided on."""
    if request.loan_id is not None:
        return request.loan.lender
    return request.lender


def _prepare(*, kind, loan_id, payment_id, amount, params, reason, on):
    """The loan, the payment, the amount that counts, the checked params and the before/after
    snapshots; refuses (StaffActionError) what the service would always refuse."""
    from payments.models import Payment

    loan = Loan.objects.select_related("lender").get(pk=loan_id) if loan_id else None
    payment = Payment.objects.get(pk=payment_id, loan=loan) if payment_id is not None else None
    try:
        amount = kinds.amount_at_stake(kind, amount, payment)
        kinds.payment_check(kind, payment)
        params = kinds.clean_params(
            kind, loan=loan, amount=amount, params=params or {}, reason=reason, on=on
        )
        before, after = kinds.snapshots(
            kind=kind, loan=loan, amount=amount, on=on, payment=payment, params=params
        )
    except kinds.refusals() as exc:
        raise StaffActionError(str(exc)) from exc
    return loan, payment, amount, params, before, after


def _replay(first: StaffRequest) -> Outcome:
    if first.acted_alone and first.status == S.REJECTED:  # the sweep found it refused
        raise StaffActionError(first.decision_note or "Not done.")
    if first.acted_alone:
        return Outcome(request=None, posting=first.posting, done=first, replayed=True)
    return Outcome(request=first, posting=None, replayed=True)


def _finish(request: StaffRequest, *, actor, on: dt.date, reason: str) -> LoanPosting | None:
    """Execute an APPROVED request once and mark it EXECUTED; raise StaffActionError with the
    service's refusal (nothing written). Already executed elsewhere: its posting."""
    key = f"staff-request:{request.pk}"
    if request.kind == K.REFUND:
        return _finish_refund(request, actor=actor, on=on, reason=reason, key=key)
    try:
        with transaction.atomic():
            row = StaffRequest.objects.select_for_update().filter(pk=request.pk).first()
            if row is None or row.status != S.APPROVED:
                return row.posting if row is not None else None
            kinds.lock_loans(row)
            before = kinds.figures_standing(row, on)
            done = staff_request_exec.execute(row, actor=actor, on=on, reason=reason, key=key)
            _mark_executed(row, done, (before, kinds.figures_standing(row, on, done)))
    except kinds.refusals() as exc:
        raise StaffActionError(str(exc)) from exc
    if "step" in done.params:
        _send_suspense_refund(done.params["step"])
    return done.posting


def _send_suspense_refund(step_id: int) -> None:
    """A suspense refund of gateway money is claimed (REFUNDING) with the request executed in
    one transaction, then sent here under its own key; unconfirmed, the sweep resends it
    (payments/recovery.py), never as a second refund."""
    from payments.errors import PaymentError
    from payments.services.suspense import suspense_refund_finish

    try:
        suspense_refund_finish(action_id=step_id)
    except PaymentError:
        logger.warning("suspense refund step %s not confirmed; the sweep resends it", step_id)


def _finish_refund(request, *, actor, on, reason, key) -> LoanPosting | None:
    """A refund calls the processor: payment_refund commits its own claim (REFUNDING) first,
    so it runs outside a transaction; a claim the processor has not confirmed yet is finished
    by the recovery sweep (refunds_resume), so the request counts as executed."""
    before = kinds.figures_standing(request, on)
    try:
        done = staff_request_exec.execute(request, actor=actor, on=on, reason=reason, key=key)
    except kinds.refusals() as exc:
        if not _refund_claimed(request):
            raise StaffActionError(str(exc)) from exc
        done = kinds.Done()
    with transaction.atomic():
        row = StaffRequest.objects.select_for_update().get(pk=request.pk)
        if row.status == S.APPROVED:
            _mark_executed(row, done, (before, kinds.figures_standing(row, on, done)))
    return done.posting


def _mark_executed(row: StaffRequest, done, figures: tuple[dict, dict]) -> None:
    """Executed, with the balances as they actually were just before and after (`figures`)."""
    row.status = S.EXECUTED
    row.posting = done.posting
    if done.payment is not None:
        row.payment = done.payment
    row.params = {**row.params, **{k: v for k, v in done.params.items() if v is not None}}
    row.executed_before, row.executed_after = figures
    done_fields = ("status", "posting", "payment", "params", "executed_before", "executed_after")
    row.save(update_fields=[*done_fields, "updated_at"])


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
    claim is released (pending again) and the reason raised."""
    request = _claim(request_id, actor, S.APPROVED, note)
    try:
        _finish(request, actor=actor, on=on, reason=f"{request.reason} (approved by {actor.email})")
    except StaffActionError as exc:
        release(request)
        raise StaffActionError(f"Not done: {exc} The request is still waiting.") from exc
    request.refresh_from_db()
    return request


def release(request: StaffRequest) -> None:
    """An approval's claim given back (pending again, no decider)."""
    StaffRequest.objects.filter(pk=request.pk, status=S.APPROVED).update(
        status=S.PENDING, decided_by=None, decided_at=None, updated_at=timezone.now()
    )


def _refund_claimed(request: StaffRequest) -> bool:
    if request.kind != K.REFUND:
        return False
    from payments.models import Payment

    return Payment.objects.filter(pk=request.payment_id, status=Payment.Status.REFUNDING).exists()
