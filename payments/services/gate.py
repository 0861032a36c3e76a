"""The charge gate: the one place that decides whether a payment may take money now.

Every path that sends money to the processor — pay now, a scheduled payment on its day, a held
payment after approval, autopay, re-presentment, recovery — calls `charge_refusal` with the
loan's row locked, right before the processor call, and claims the call in the same
transaction. The checks, in order: the loan is open; an autopay charge's mandate still holds
(its plan ACTIVE, no account flag pausing autopay: `autopay_refusal`); the payer may still pay
it; the method is
still on file, usable and the payer's; principal-only only while the loan is up to date; the
amount fits what the loan can take on the effective date minus the money already on its way
to it (payments submitting or whose outcome is unknown). Creating a payment runs the same
function, so the borrower hears a refusal next to the form instead of a cancelled payment.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from ismartpay.core.money import ZERO
from loans import delinquency, flags, permissions
from loans.allocation import payoff_amount
from loans.collections import flags_by_loan
from loans.models import Loan
from loans.selectors import contract_schedule, loan_balances_on, loan_position

from .. import rules
from ..autopay.guards import mandate_stopped
from ..errors import AmountNotAllowed, MethodNotUsable, NotAllowed
from ..models import AutopayDebit, Payment, PaymentMethod

S = Payment.Status
IN_FLIGHT = Payment.IN_FLIGHT_STATUSES
OPEN_LOAN = (Loan.Status.CURRENT, Loan.Status.PAST_DUE)
ASK = object()  # charge_refusal(payer_role=…): not given, read it


def money_in_flight(loan_id: int, *, exclude_payment_id: int | None = None) -> Decimal:
    """Dollars on their way to the loan: payments created to be charged now, being charged, or
    charged with no answer yet. (Bank debits the processor accepted are already posted.)"""
    rows = Payment.objects.filter(loan_id=loan_id, status__in=IN_FLIGHT)
    if exclude_payment_id is not None:
        rows = rows.exclude(pk=exclude_payment_id)
    return rows.aggregate(total=Sum("amount"))["total"] or ZERO


def charge_refusal(
    *,
    loan: Loan,
    method: PaymentMethod | None,
    payer,
    amount: Decimal,
    principal_only: bool,
    effective: dt.date,
    on: dt.date,
    exclude_payment_id: int | None = None,
    payer_role: str | object | None = ASK,
    in_flight: Decimal | None = None,
    autopay_key: str = "",
) -> rules.Refusal | None:
    """Why this payment may not take money now, or None. Call with `loan` locked
    (loans.lock_objects.loan_for_update): the answer holds until that transaction ends.
    A caller that read them under the same locks for many loans at once (the autopay batch)
    passes the payer's role on the loan and the money in flight to it; else they are read.
    `autopay_key`: an autopay payment's key, whose mandate is checked (`autopay_refusal`; the
    batch checks it from the chunk's facts, with the same rule, before the key exists)."""
    if loan.status not in OPEN_LOAN:
        state = loan.get_status_display().lower()
        return rules.Refusal(rules.LOAN_CLOSED, f"This loan is {state}, so nothing was charged.")
    if autopay_key and (refusal := autopay_refusal(loan, key=autopay_key, days=(effective, on))):
        return refusal
    payer_id = payer.pk if payer is not None else None
    if payer_role is ASK and payer_id is not None:
        payer_role = permissions.loan_role(user_id=payer_id, loan_id=loan.pk)
    if payer_id is not None and not permissions.can_pay(payer_role):
        return rules.Refusal(rules.ACCESS, "You no longer have permission to pay this loan.")
    refusal = rules.method_refusal(method, payer_id=payer_id, on=on)
    if refusal is not None:
        return refusal
    balances = loan_balances_on(loan, effective)
    if principal_only:
        position = loan_position(loan, on)
        past_due = delinquency.past_due_amount(contract_schedule(loan), position, on)
        refusal = rules.principal_only_refusal(past_due=past_due, unpaid_fees=balances.fees)
        if refusal is not None:
            return refusal
    return rules.amount_refusal(
        amount=amount,
        ceiling=balances.principal if principal_only else payoff_amount(balances),
        in_flight=(
            money_in_flight(loan.pk, exclude_payment_id=exclude_payment_id)
            if in_flight is None
            else in_flight
        ),
        principal_only=principal_only,
    )


def autopay_refusal(loan: Loan, *, key: str, days: tuple[dt.date, ...]) -> rules.Refusal | None:
    """An autopay charge under `key` is taken only while its debit's standing mandate holds, the
    rule a fresh debit is skipped by (autopay/guards.py `mandate_stopped`): its plan is still
    ACTIVE and no account flag pauses autopay on any of `days` (the payment's effective date,
    which is its run's business date, and today's). A resend after a crash runs it again (a
    plan suspended or a bankruptcy filed since). No debit under the key: no mandate, refused."""
    plan_status = (
        AutopayDebit.objects.filter(plan__loan_id=loan.pk, idempotency_key=key)
        .values_list("plan__status", flat=True)
        .first()
    )
    periods = flags_by_loan([loan.pk]).get(loan.pk, ())
    paused = next(filter(None, (flags.autopay_paused(periods, day) for day in days)), "")
    if plan_status is not None and not mandate_stopped(plan_status=plan_status, paused=paused):
        return None
    return rules.Refusal(
        rules.AUTOPAY, "Automatic payments are stopped on this loan, so nothing was charged."
    )


def applicable_amount(
    loan: Loan, *, amount: Decimal, effective: dt.date, principal_only: bool = False
) -> Decimal:
    """How much of money already received the (locked) loan can take on `effective`: all of
    it, or the payoff (principal, for principal-only) when smaller; nothing once it is closed.
    The rest is refunded (gateway money) or held in suspense (money received in hand)."""
    if loan.status not in OPEN_LOAN:
        return ZERO
    balances = loan_balances_on(loan, effective)
    ceiling = balances.principal if principal_only else payoff_amount(balances)
    return min(amount, ceiling)


def raise_refusal(refusal: rules.Refusal) -> None:
    """A refusal before any row exists, as the domain error the forms show."""
    if refusal.code == rules.METHOD:
        raise MethodNotUsable(refusal.message)
    if refusal.code == rules.ACCESS:
        raise NotAllowed(refusal.message)
    raise AmountNotAllowed(refusal.message)
