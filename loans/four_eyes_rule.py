"""Who may do a staff money action, and whether alone: the permission each kind needs, and the
one decision (`may_act_alone`) that applies the pure four-eyes rule (four_eyes.py
`needs_second_approval`) to the lender's threshold and what was done alone today (read from
the database here, so four_eyes.py stays pure). loans/staff_requests.py acts on the decision.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Q, Sum

from ismartpay.core.money import ZERO
from ismartpay.core.today import business_date

from .four_eyes import needs_second_approval
from .models import Loan, StaffRequest

K = StaffRequest.Kind
S = StaffRequest.Status
# The permission that lets a staff member do each action (alone at or below the threshold;
# with it and APPROVE_PERMISSION, approve someone else's request above it).
ACT_PERMISSION = {
    K.WAIVE_FEE: "accounts.waive_fee",
    K.CREDIT: "loans.post_credit",
    K.REFUND: "accounts.issue_refund",
    K.REVERSE: "accounts.reverse_payment",
    K.RECORD_RECEIVED: "payments.record_payment",
    K.RETURN_CHECK: "accounts.reverse_payment",
    K.MOVE_PAYMENT: "payments.manage_suspense",
    K.SUSPENSE_REFUND: "payments.manage_suspense",
    K.RATE_CHANGE: "loans.change_loan_terms",
    K.REMITTANCE: "payments.record_payment",
    K.SUSPENSE_APPLY: "payments.manage_suspense",
    K.ACCOUNT_FLAG: "loans.manage_account_flags",
}
# `loans.request_adjustment` lets an agent only ask, for these kinds.
REQUEST_PERMISSION = "loans.request_adjustment"
REQUESTABLE = (K.WAIVE_FEE, K.CREDIT, K.REFUND, K.REVERSE)
APPROVE_PERMISSION = "loans.approve_request"


def done_alone_today(
    kind: str, loan: Loan | None, day: dt.date, lender=None, *, by=None
) -> Decimal:
    """Dollars of `kind` done on `loan` without a second approval on business day `day`; with
    no loan (a remittance file), done for `lender` with no loan; with `by`, done by that staff
    member on any of `lender`'s loans."""
    if by is not None:
        where = Q(requested_by=by) & (Q(loan__lender=lender) | Q(lender=lender))
    elif loan is not None:
        where = Q(loan=loan)
    else:
        where = Q(loan__isnull=True, lender=lender)
    rows = StaffRequest.objects.filter(
        where,
        kind=kind,
        acted_alone=True,
        business_date=day,
        status__in=(S.APPROVED, S.EXECUTED),
    )
    return rows.aggregate(total=Sum("amount"))["total"] or ZERO


def threshold_for(kind: str, lender) -> Decimal:
    """The lender's four-eyes threshold (dollars) for `kind`: recording money received, by hand
    or by a remittance file, has its own (`received_four_eyes_threshold`, routine work); every
    other action the lender's `four_eyes_threshold` (a $400 lockbox file went to a supervisor
    while a $450 check keyed by hand did not: new-user review, round 2)."""
    if kind in (K.RECORD_RECEIVED, K.REMITTANCE):  # money received, by hand or by file
        return lender.received_four_eyes_threshold
    return lender.four_eyes_threshold


def may_act_alone(
    user, kind: str, amount: Decimal | None, loan: Loan | None, *, lender=None
) -> bool:
    """The one decision: `user` holds the action's permission and the amount — with every
    same-kind action done alone on the loan today, by anyone — is at or below the lender's
    threshold for the kind (`threshold_for`, four_eyes.needs_second_approval). A remittance
    file names no one loan: its total counts with the same day's files done alone for
    `lender`. Money no loan was matched to has no lender threshold: always a second approval."""
    lender = loan.lender if loan is not None else lender
    if not user.has_perm(ACT_PERMISSION[kind]) or lender is None:
        return False
    day = business_date(lender)
    today = done_alone_today(kind, loan, day, lender)
    if kind == K.RECORD_RECEIVED:
        # Recording money nobody else has seen credits a loan like a credit adjustment, which a
        # support agent may only ask for: what one person records alone counts across all the
        # lender's loans for the day too, so its higher threshold is a daily allowance per
        # person, not per loan (attacker review, round 2: $2,500 a loan a day, unverified).
        today = max(today, done_alone_today(kind, None, day, lender, by=user))
    return not needs_second_approval(amount, threshold_for(kind, lender), done_alone_today=today)
