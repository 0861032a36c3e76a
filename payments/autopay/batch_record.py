"""Recording a chunk's processor answers in bulk (batch.py, step 3): one transaction locks the
loans that took money and then the payments (loan before payment), posts to the ledger with the
allocation computed in Python by the same function as one payment (`loans.services.
payment_posting`), moves each payment with its event, owes its receipt (one outbox INSERT, one
delivery task per chunk), and sets the debits — charged, retry (with the back-off) or failed —
and the plans' last amounts, each with one statement. A debit is changed only while it is still
SUBMITTING under this attempt's key, a payment only while it is still in flight, as the
one-payment services do.

A payment the set path does not post — the loan can no longer take all of it (paid down or off
since the gate: part of it is refunded), or it pays the loan off (cancelling what waits on the
loan, ending the plan) — is `deferred`: after the commit it goes through
`payment_record_result` and `autopay_finish`, the one-payment path, under its key.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from ismartpay.core.bulk import insert_rows, update_rows
from loans import lock_objects as loan_locks
from loans.allocation import payoff_amount
from loans.models import Loan, LoanPosting
from loans.selectors import loan_balances_on
from loans.services import LOAN_BALANCE_FIELDS, payment_posting

from ..declines import reason_for
from ..gateways.base import ChargeStatus
from ..lock_objects import payment_ids_for_update
from ..models import AutopayDebit, AutopayPlan, Payment, PaymentEvent
from ..notifications import payment_notices_queue
from ..services.charging import ledger_refs
from ..services.gate import OPEN_LOAN
from .batch import ACTOR, Charge
from .outcomes import MAX_ATTEMPTS, RETRY_BACKOFF

D = AutopayDebit.Status
PS = Payment.Status


@dataclass
class Recorded:
    outcomes: Counter = field(default_factory=Counter)
    declined: list[tuple[Charge, bool]] = field(default_factory=list)  # (charge, will retry)
    deferred: list[Charge] = field(default_factory=list)


def record(charges: list[Charge], *, now: dt.datetime, actor: str = ACTOR) -> Recorded:
    """Step 3 (see the module docstring). The declined debits' emails are the caller's, after
    this commits (`Recorded.declined`). `actor`: the label on the payments' events (the
    recovery sweep records under its own)."""
    out = Recorded()
    answered = [c for c in charges if not c.error]
    out.outcomes["error"] = len(charges) - len(answered)
    wall = timezone.now()
    with transaction.atomic():
        took = [c for c in answered if c.result and c.result.status != ChargeStatus.FAILED]
        loans = {
            loan.pk: loan for loan in loan_locks.loans_for_update(c.payment.loan_id for c in took)
        }
        live = payment_ids_for_update(
            [c.payment.pk for c in answered], statuses=Payment.IN_FLIGHT_STATUSES
        )
        out.outcomes["done"] = len(answered) - len(live)  # resolved meanwhile (the sweep)
        answered = [c for c in answered if c.payment.pk in live]
        took = set(took)
        posted = [c for c in answered if c in took and _fits(c, loans[c.payment.loan_id])]
        fits = set(posted)
        out.deferred = [c for c in answered if c in took and c not in fits]
        declined = [c for c in answered if c not in took and not c.unknown]
        unknown = [c for c in answered if c.unknown]
        events = _post(posted, loans, wall, actor) + _decline(declined, wall, actor)
        events += _unknown(unknown, wall)
        insert_rows(PaymentEvent, events)
        payment_notices_queue(
            [(c.payment, "received") for c in posted] + [(c.payment, "failed") for c in declined]
        )
        out.outcomes["charged"] = _debits_charged(posted, wall)
        _debits_declined(declined, now, wall, out)
        _debits_unknown(unknown, wall)
        out.outcomes["pending"] += len(unknown)
    return out


def _fits(charge: Charge, loan: Loan) -> bool:
    """The loan, as locked now, takes all of the payment and is not paid off by it."""
    if loan.status not in OPEN_LOAN:
        return False
    return charge.payment.amount < payoff_amount(
        loan_balances_on(loan, charge.payment.effective_date)
    )


def _event(payment: Payment, source: str, actor_label: str, detail: dict) -> PaymentEvent:
    return PaymentEvent(
        payment=payment,
        from_status=source,
        to_status=payment.status,
        actor_label=actor_label,
        processor_ref=payment.processor_ref,
        detail=detail,
    )


def _post(charges: list[Charge], loans: dict[int, Loan], wall, actor) -> list[PaymentEvent]:
    """Ledger postings and loan balances, then the payments POSTED (card) or PENDING (bank)."""
    postings = []
    for charge in charges:
        payment = charge.payment
        postings.append(
            payment_posting(
                loans[payment.loan_id],
                amount=payment.amount,
                effective_date=payment.effective_date,
                **ledger_refs(payment),
            )
        )
    insert_rows(LoanPosting, postings)
    touched = {p.loan_id for p in postings}
    fields = [f for f in LOAN_BALANCE_FIELDS if f != "updated_at"]
    update_rows(
        Loan,
        (*fields, "updated_at"),
        [(pk, *[getattr(loans[pk], f) for f in fields], wall) for pk in sorted(touched)],
    )
    events, rows = [], []
    for charge, posting in zip(charges, postings, strict=True):
        payment, result = charge.payment, charge.result
        payment.processor_ref, payment.loan_posting = result.processor_ref, posting
        was = payment.status  # SUBMITTING; UNKNOWN when the recovery sweep asked about it
        payment.status = PS.PENDING if result.status == ChargeStatus.PENDING else PS.POSTED
        rows.append((payment.pk, payment.status, payment.processor_ref, posting.pk, wall))
        events.append(_event(payment, was, actor, {}))
    fields = ("status", "processor_ref", "loan_posting", "updated_at")
    update_rows(Payment, fields, rows)
    return events


def _decline(charges: list[Charge], wall, actor) -> list[PaymentEvent]:
    events, rows = [], []
    for charge in charges:
        payment, result = charge.payment, charge.result
        payment.processor_ref = result.processor_ref if result else ""
        payment.decline_code = result.decline_code if result else charge.decline
        was, payment.status = payment.status, PS.FAILED
        rows.append((payment.pk, PS.FAILED, payment.processor_ref, payment.decline_code, wall))
        label = actor if result else "processor"
        events.append(_event(payment, was, label, {"decline_code": payment.decline_code}))
    update_rows(Payment, ("status", "processor_ref", "decline_code", "updated_at"), rows)
    return events


def _unknown(charges: list[Charge], wall) -> list[PaymentEvent]:
    for charge in charges:
        charge.payment.status = PS.UNKNOWN
    rows = [(c.payment.pk, PS.UNKNOWN, wall) for c in charges]
    update_rows(Payment, ("status", "updated_at"), rows)
    detail = {"reason": "no answer from the processor"}
    return [_event(c.payment, PS.SUBMITTING, "processor", detail) for c in charges]


def _debits_charged(charges: list[Charge], wall) -> int:
    rows = [
        (c.debit.pk, D.CHARGED, "", c.payment.pk, wall, c.debit.idempotency_key) for c in charges
    ]
    done = set(
        update_rows(
            AutopayDebit,
            ("status", "reason", "payment", "updated_at"),
            rows,
            guard={"status": D.SUBMITTING},
            match=("idempotency_key",),
        )
    )
    amounts = [(c.debit.plan_id, c.debit.amount) for c in charges if c.debit.pk in done]
    update_rows(AutopayPlan, ("last_amount",), amounts)
    return len(done)


def _debits_declined(charges: list[Charge], now: dt.datetime, wall, out: Recorded) -> None:
    """A retryable decline with attempts left goes to RETRY (15 min, then 1 h: ×4 each time);
    else the debit fails. The same rule as `outcomes.autopay_finish`."""
    rows, retry = [], {}
    for charge in charges:
        debit, code = charge.debit, charge.payment.decline_code
        again = reason_for(code).retryable and debit.attempts < MAX_ATTEMPTS
        debit.status = D.RETRY if again else D.FAILED
        debit.next_attempt_at = now + RETRY_BACKOFF * (4 ** (debit.attempts - 1)) if again else None
        debit.reason, debit.payment = code, charge.payment
        retry[debit.pk] = again
        key = debit.idempotency_key
        rows.append(
            (debit.pk, debit.status, code, charge.payment.pk, debit.next_attempt_at, wall, key)
        )
    done = update_rows(
        AutopayDebit,
        ("status", "reason", "payment", "next_attempt_at", "updated_at"),
        rows,
        guard={"status": D.SUBMITTING},
        match=("idempotency_key",),
    )
    for charge in charges:
        if charge.debit.pk in done:
            out.declined.append((charge, retry[charge.debit.pk]))
            out.outcomes["retry" if retry[charge.debit.pk] else "failed"] += 1


def _debits_unknown(charges: list[Charge], wall) -> None:
    rows = [(c.debit.pk, c.payment.pk, wall, c.debit.idempotency_key) for c in charges]
    update_rows(
        AutopayDebit,
        ("payment", "updated_at"),
        rows,
        guard={"status": D.SUBMITTING},
        match=("idempotency_key",),
    )
