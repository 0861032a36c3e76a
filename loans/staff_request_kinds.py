"""Each staff money action, one place per StaffRequest kind: the amount that counts against the
four-eyes threshold, the checks made before a request is recorded, what the action would
change (the request page shows it); the service that does it is loans/staff_request_exec.py.
loans/staff_requests.py decides who may do it, alone or with a second supervisor, and runs it
exactly once. Nothing here writes.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ismartpay.core.money import ZERO

from . import staff_request_kinds_more as more
from .allocation import AllocationError, Balances, allocate, apply, payoff_amount
from .fees import nsf_fee_due
from .four_eyes import (
    balances_after_credit,
    balances_after_reversal,
    balances_after_waiver,
    snapshot,
)
from .models import Loan, LoanPosting, StaffRequest
from .selectors import loan_balances_on
from .services import LoanPostingError
from .servicing import rate_check

K = StaffRequest.Kind
# The payment's whole amount is at stake: partial refunds, reversals or returns are not these.
WHOLE_PAYMENT = (K.REFUND, K.REVERSE, K.RETURN_CHECK)


class KindRefused(ValueError):
    """The action can never be done as asked (staff_requests turns it into StaffActionError)."""


@dataclass(frozen=True)
class Done:
    posting: LoanPosting | None = None
    payment: object | None = None  # payments.Payment made (money received) when there is one
    params: dict = field(default_factory=dict)  # outcome ids kept on the request


def refusals() -> tuple[type[Exception], ...]:
    """The domain errors a service raises when it refuses (the loan as it stands now)."""
    from payments.errors import PaymentError

    from .collections import CollectionsError

    return (PaymentError, LoanPostingError, AllocationError, KindRefused, CollectionsError)


lender_of = more.lender_of  # a remittance file's lender (it names no one loan)


def payment_check(kind: str, payment) -> None:
    """Refuse now what the service would refuse for this payment, before a request waits for
    a second supervisor: a moved check is returned as its copy on the other loan."""
    if kind == K.RETURN_CHECK and payment is not None:
        from payments.services.returned_checks import refuse_return_of_moved

        refuse_return_of_moved(payment)


def amount_at_stake(kind: str, amount, payment) -> Decimal | None:
    """Dollars that count against the threshold; None for a rate change (no amount)."""
    if kind in (K.RATE_CHANGE, K.ACCOUNT_FLAG):
        return None
    if kind in WHOLE_PAYMENT:
        return payment.amount
    if kind == K.MOVE_PAYMENT:
        return payment.applied_amount  # what reached the loan is what moves
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise KindRefused("Enter a positive amount.")
    return amount


def clean_params(
    kind: str, *, loan: Loan | None, amount, params: dict, reason: str, on: dt.date
) -> dict:
    """Refuse now what the service would always refuse, so no request is made for it; returns
    the params as stored (JSON strings)."""
    from payments.services.returned_checks import RETURNED_CHECK_CODES
    from payments.services.suspense import _require_reason

    if kind in (K.MOVE_PAYMENT, K.SUSPENSE_REFUND):
        _require_reason(reason)
    if kind in more.KINDS:
        return more.clean_params(
            kind, loan=loan, amount=amount, params=params, reason=reason, on=on
        )
    if kind == K.RECORD_RECEIVED:
        return _received_params(loan=loan, amount=amount, params=params, on=on)
    if kind == K.RETURN_CHECK:
        if params.get("return_code") not in RETURNED_CHECK_CODES:
            raise KindRefused("Choose why the bank returned it.")
        return {"return_code": params["return_code"]}
    if kind == K.MOVE_PAYMENT:
        if params["to_loan"] == loan.pk:
            raise KindRefused("The payment is already on that loan.")
        return {"to_loan": params["to_loan"]}
    if kind == K.SUSPENSE_REFUND:
        return {"item": params["item"], "reference": params.get("reference", "")}
    if kind == K.RATE_CHANGE:
        return _rate_params(loan=loan, params=params)
    return {}


def _received_params(*, loan: Loan, amount, params: dict, on: dt.date) -> dict:
    from payments.services.received import received_check

    effective = params["effective_date"]
    _amount, reference = received_check(
        channel=params["channel"],
        amount=amount,
        reference=params["reference"],
        effective_date=effective,
        today=on,
        loan=loan,
    )
    return {
        "channel": params["channel"],
        "reference": reference,
        "effective_date": effective.isoformat(),
    }


def _rate_params(*, loan: Loan, params: dict) -> dict:
    apr = rate_check(params["apr_percent"])
    if apr == loan.apr_percent:
        raise KindRefused(f"The APR is already {apr} %.")
    return {"apr_percent": str(apr)}


def preview(
    *, kind: str, loan: Loan, amount: Decimal, on: dt.date, payment=None, params=None
) -> tuple[Balances, Balances]:
    """Balances on `on` before and after the action, without writing anything."""
    before = loan_balances_on(loan, on)  # SCRA caps included (loans/selectors.py)
    if kind == K.WAIVE_FEE:
        return before, balances_after_waiver(before, amount)
    if kind == K.CREDIT:
        return before, balances_after_credit(before, amount)
    if kind == K.RECORD_RECEIVED:
        applied = min(_fits(loan, amount, params or {}, on), payoff_amount(before))
        return before, apply(before, allocate(before, applied)) if applied else before
    if kind in more.KINDS:
        return before, more.preview(kind, before, amount)
    if kind not in (*WHOLE_PAYMENT, K.MOVE_PAYMENT):
        return before, before  # a suspense refund or a rate change moves no balance today
    posting_id = payment.loan_posting_id if payment is not None else None
    posting = LoanPosting.objects.filter(pk=posting_id).first() if posting_id else None
    after = before  # a pending debit not applied yet: the reversal moves no balance
    if posting is not None:
        after = balances_after_reversal(
            before,
            fees=posting.fees,
            interest=posting.interest,
            principal=posting.principal,
            apr_percent=loan.apr_percent,
            effective_date=posting.effective_date,
            on=on,
        )
    if kind == K.RETURN_CHECK:  # payment_return assesses the returned-payment fee once
        after = Balances(after.principal, after.interest, after.fees + nsf_fee_due(loan))
    return before, after


def _fits(loan: Loan, amount: Decimal, params: dict, on: dt.date) -> Decimal:
    from payments.services.gate import applicable_amount

    effective = params.get("effective_date") or on
    if isinstance(effective, str):
        effective = dt.date.fromisoformat(effective)
    return applicable_amount(loan, amount=amount, effective=effective)


def snapshots(
    *, kind: str, loan: Loan | None, amount, on: dt.date, payment=None, params=None
) -> tuple[dict, dict]:
    """What the request page shows: balances before and after (dollars, as strings), plus
    what would go to suspense (money received), the APR (a rate change), the item's balance (a
    suspense refund)."""
    params = params or {}
    if loan is None:
        before = after = {}
    else:
        balances = preview(
            kind=kind, loan=loan, amount=amount, on=on, payment=payment, params=params
        )
        before, after = (snapshot(b) for b in balances)
    if kind in more.KINDS:
        return more.snapshots(
            kind, loan=loan, amount=amount, params=params, before=before, after=after
        )
    if kind == K.RECORD_RECEIVED:
        after = {**after, "suspense": str(amount - _fits(loan, amount, params, on))}
    if kind == K.RATE_CHANGE:
        before = {**before, "apr_percent": str(loan.apr_percent)}
        after = {**after, "apr_percent": params["apr_percent"]}
    if kind == K.SUSPENSE_REFUND:
        from payments.models import SuspenseItem

        held = SuspenseItem.objects.get(pk=params["item"]).balance
        before = {**before, "suspense": str(held)}
        after = {**after, "suspense": str(max(held - amount, ZERO))}
    return before, after


def figures_now(request: StaffRequest, on: dt.date) -> tuple[dict, dict]:
    """The request's before and after recomputed on `on` with the loan as it stands now (the
    same preview as when it was made), for the page a supervisor decides on; raises one of
    `refusals()` when the loan no longer allows it."""
    return snapshots(
        kind=request.kind,
        loan=request.loan,
        amount=request.amount,
        on=on,
        payment=request.payment,
        params=request.params,
    )


def page_figures(request: StaffRequest, on: dt.date) -> dict:
    """The request page's second table, beside what was shown when it was requested: an
    executed request's balances as they actually were ("As done"); a pending or approved one's
    recomputed as the loan stands on `on` ("Now"), or why the loan no longer allows it.
    `figures_changed` when they differ from those requested."""
    S = StaffRequest.Status
    if request.status == S.EXECUTED and request.executed_before:
        label, before, after = "As done", request.executed_before, request.executed_after
    elif request.status in (S.PENDING, S.APPROVED):
        try:
            before, after = figures_now(request, on)
        except refusals() as exc:
            return {"figures_changed": True, "figures_refused": str(exc)}
        label = "Now"
    else:
        return {}
    return {
        "figures_label": label,
        "before_now": before,
        "after_now": after,
        "figures_changed": (before, after) != (request.before, request.after),
    }


def lock_loans(request: StaffRequest) -> None:
    """Inside the execution's transaction: lock the request's loans (a move's two, in primary
    key order) so the balances read just before it are the ones it acts on."""
    from . import lock_objects

    ids = [
        request.loan_id,
        request.params.get("to_loan") if request.kind == K.MOVE_PAYMENT else None,
    ]
    lock_objects.loans_for_update(i for i in ids if i is not None)


def figures_standing(request: StaffRequest, on: dt.date, done: Done | None = None) -> dict:
    """The loan's balances as they actually stand on `on` (a fresh read), with the request's
    own figure: the APR (a rate change), the suspense item's balance (a suspense refund), and
    once money received is recorded (`done`), what went to suspense. Stored on the request
    just before and just after it executes."""
    from payments.models import SuspenseItem

    figures = {}
    if request.loan_id is not None:
        loan = Loan.objects.select_related("lender").get(pk=request.loan_id)
        figures = snapshot(loan_balances_on(loan, on))
        if request.kind == K.RATE_CHANGE:
            figures["apr_percent"] = str(loan.apr_percent)
    if request.kind == K.SUSPENSE_REFUND:
        figures["suspense"] = str(SuspenseItem.objects.get(pk=request.params["item"]).balance)
    if request.kind == K.RECORD_RECEIVED and done is not None:
        item = SuspenseItem.objects.filter(pk=done.params.get("suspense")).first()
        figures["suspense"] = str(item.amount if item is not None else ZERO)
    return figures
