"""A claimed chunk of autopay debits, set-based: the same rules as one debit at a time, in a
fixed number of statements per chunk.

1. `prepare` (one transaction): lock the chunk's loans in one statement (primary-key order,
   loan before payment, as loans/lock_objects.py), then its debits; read what the charge gate
   needs for all of them (account flags, the payers' roles, money in flight, Regulation E
   notices, the risk counts) and the loans' open debits (period_order.py) in one statement
   each; decide each debit in Python with the same functions as the one-debit path
   (amount_and_payoff_for_period, the charge gate's `charge_refusal` and the pure rules);
   insert the payments (their idempotency keys) and their events in one statement each and set
   the debits in one; COMMIT — all before any processor call. A refused debit fails here, as
   `payment_submit` refusing it would.
2. `call_processor`: each payment under its key, `concurrency` at a time (threads hide the
   processor's latency), at most settings.AUTOPAY_PROCESSOR_RATE_PER_SECOND calls a second per
   process when set. Right before each call the mandate is read again (plan ACTIVE, no
   autopay-pausing flag: one statement a call); a charge whose mandate stopped is not sent.
3. batch_record.py records the answers and posts to the ledger in bulk.

A debit the set path does not take (a catch-up: a second debit of one loan in the chunk, one
that would pay the loan off, one a risk rule might hold) is left CLAIMED for the one-debit path
(`engine.autopay_charge_debit`), which the chunk runs after the set.
"""

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from ismartpay.core.arrays import any_of
from ismartpay.core.bulk import insert_rows, update_rows
from ismartpay.core.pacing import Pace
from loans import flags
from loans import lock_objects as loan_locks
from loans.collections import flags_by_loan
from loans.models import LoanLink

from .. import rules
from ..gateways import get_gateway
from ..gateways.base import (
    ChargeRequest,
    ChargeResult,
    GatewayError,
    OutcomeUnknown,
    TemporaryGatewayError,
)
from ..models import AutopayAmountNotice, AutopayDebit, Payment, PaymentEvent
from ..risk import POLICY
from ..services.gate import charge_refusal
from ..services.submission import new_reference
from . import period_order
from . import schedule as sched
from .bounded import run_bounded
from .guards import mandates_stopped_now, plan_stopped
from .outcomes import CLOSED_LOAN
from .selectors import amount_and_payoff_for_period, plan_terms

logger = logging.getLogger("ismartpay.autopay")
D = AutopayDebit.Status
PS = Payment.Status
ACTOR = "system:autopay"
DEBIT_FIELDS = ("status", "reason", "attempts", "amount", "idempotency_key", "next_attempt_at")


def announced_ceiling(last_amount: Decimal, announced: Decimal | None) -> Decimal:
    """Regulation E (12 CFR 1005.10(d)): a debit may differ from the previous one only if that
    amount was announced at least 10 days before; else it is capped at the previous amount."""
    return max(last_amount, announced) if announced is not None else last_amount


@dataclass(eq=False)  # one per payment: compared and hashed by identity
class Charge:
    debit: AutopayDebit
    payment: Payment
    result: ChargeResult | None = None
    decline: str = ""  # a refusal without an answer (processing_error …): recorded as declined
    unknown: bool = False  # no answer: the sweep asks the processor by key
    error: bool = False  # our side failed: the sweep resolves the payment by key


@dataclass
class Prepared:
    charges: list[Charge] = field(default_factory=list)
    single: list[int] = field(default_factory=list)  # for the one-debit path
    refused: list[tuple[AutopayDebit, rules.Refusal]] = field(default_factory=list)
    closed: list[AutopayDebit] = field(default_factory=list)  # loan closed: end the plan
    outcomes: Counter = field(default_factory=Counter)


@dataclass
class Facts:
    """What the gate and the risk rules read, for the whole chunk, under its locks."""

    paused: dict[int, tuple] = field(default_factory=dict)
    roles: dict[tuple[int, int], str] = field(default_factory=dict)
    in_flight: dict[int, Decimal] = field(default_factory=dict)
    announced: dict[tuple[int, dt.date], Decimal] = field(default_factory=dict)
    attempts: dict[int, int] = field(default_factory=dict)
    cards: dict[int, set[int]] = field(default_factory=dict)
    open_debits: dict[int, list] = field(default_factory=dict)  # period_order.open_debits


def prepare(debit_ids: list[int], *, token: str, on: dt.date, now: dt.datetime) -> Prepared:
    """Step 1 (see the module docstring); returns the charges to send, committed."""
    out = Prepared()
    with transaction.atomic():
        mine = AutopayDebit.objects.filter(
            any_of("pk", debit_ids), status=D.CLAIMED, claimed_by=token
        )
        loans = {
            loan.pk: loan
            for loan in loan_locks.loans_for_update(mine.values_list("plan__loan_id", flat=True))
        }
        debits = list(
            mine.select_for_update(of=("self",))
            .select_related("plan__method", "plan__owner")
            .order_by("pk")
        )
        out.outcomes["not_claimed"] = len(debit_ids) - len(debits)
        for debit in debits:
            debit.plan.loan = loans[debit.plan.loan_id]
        facts = _facts(debits, now)
        wall, written, seen = timezone.now(), [], set()
        for debit in debits:
            kind = _decide(debit, facts, on=on, now=now, first=debit.plan.loan_id not in seen)
            seen.add(debit.plan.loan_id)
            if kind == "single":
                out.single.append(debit.pk)
                continue
            written.append(debit)
            if isinstance(kind, rules.Refusal):
                out.refused.append((debit, kind))
                out.outcomes["failed"] += 1
            elif kind == "charge":
                out.charges.append(Charge(debit, _payment(debit, on=on, wall=wall)))
            else:
                out.closed += [debit] if kind == "closed" else []
                out.outcomes["waiting" if kind == "waiting" else "skipped"] += 1
        _write(out.charges, written, wall)
    return out


def _decide(debit: AutopayDebit, facts: Facts, *, on: dt.date, now: dt.datetime, first: bool):
    """ "charge", "skipped", "closed", "single", "waiting" or the gate's Refusal; sets the
    debit's new state in memory (written by `_write`). The checks of
    `engine.autopay_charge_debit` and of `payment_submit`'s gate, in their order."""
    plan, loan = debit.plan, debit.plan.loan
    if stopped := plan_stopped(plan.status):  # the mandate (guards.py), as the gate's
        return _skip(debit, stopped)
    if not first:
        return "single"  # a catch-up: its amount depends on the one before it being posted
    if loan.status in CLOSED_LOAN:
        _skip(debit, f"loan is {loan.get_status_display().lower()}")
        return "closed"
    if paused := flags.autopay_paused(facts.paused.get(loan.pk, ()), on):
        return _skip(debit, paused)  # bankruptcy, deceased (loans/flags.py)
    period = sched.Period(debit.period_key, debit.run_date)
    amount, payoff = amount_and_payoff_for_period(plan_terms(plan), loan, period, on=on)
    others = facts.open_debits.get(loan.pk, ())
    amount, held = period_order.net_of_held(debit, others, amount)
    if plan.last_amount is not None and amount > plan.last_amount:
        announced = facts.announced.get((plan.pk, debit.period_key))
        amount = min(amount, announced_ceiling(plan.last_amount, announced))
    if amount <= 0:
        if held:  # only a payment held for review pays it: wait for the review
            return period_order.wait_for(debit, held, now=now)
        return _skip(debit, "nothing due")
    if earlier := period_order.must_wait(debit, others, amount=amount, payoff=payoff):
        return period_order.wait_for(debit, earlier, now=now)  # an earlier period is open
    if amount >= payoff or _may_be_held(plan, loan, amount, facts, now):
        return "single"  # the payoff's follow-ups, or the risk rules in full (payments/risk.py)
    debit.attempts += 1
    debit.amount = amount
    debit.idempotency_key = f"autopay:{plan.pk}:{debit.period_key:%Y%m%d}:{debit.attempts}"
    refusal = charge_refusal(
        loan=loan,
        method=plan.method,
        payer=plan.owner,
        amount=amount,
        principal_only=False,
        effective=on,
        on=on,
        payer_role=facts.roles.get((plan.owner_id, loan.pk)),
        in_flight=facts.in_flight.get(loan.pk, Decimal(0)),
    )
    if refusal is not None:
        debit.status, debit.reason = D.FAILED, refusal.message[:200]
        return refusal
    debit.status = D.SUBMITTING
    return "charge"


def _skip(debit: AutopayDebit, reason: str) -> str:
    debit.status, debit.reason = D.SKIPPED, reason[:200]
    return "skipped"


def _may_be_held(plan, loan, amount: Decimal, facts: Facts, now: dt.datetime) -> bool:
    """Whether payments/risk.py's rules could hold this payment: then the one-debit path runs
    them in full. The counts are the chunk's, read under its locks."""
    policy, method = POLICY, plan.method
    if facts.attempts.get(loan.pk, 0) >= policy.max_attempts_per_loan_hour:
        return True
    cards = facts.cards.get(plan.owner_id, set()) | {method.pk}
    if method.kind == "card" and len(cards) > policy.max_cards_per_payer_day:
        return True
    new = method.created_at is not None and method.created_at > now - policy.new_method_age
    return new and amount > loan.installment_amount * policy.new_method_installments


def _facts(debits: list[AutopayDebit], now: dt.datetime) -> Facts:
    loan_ids = sorted({d.plan.loan_id for d in debits})
    owners = sorted({d.plan.owner_id for d in debits})
    facts = Facts(paused=flags_by_loan(loan_ids), open_debits=period_order.open_debits(loan_ids))
    links = LoanLink.objects.filter(any_of("loan_id", loan_ids), any_of("user_id", owners))
    facts.roles = {
        (u, loan): role for u, loan, role in links.values_list("user_id", "loan_id", "role")
    }
    payments = Payment.objects.filter(any_of("loan_id", loan_ids))
    flying = payments.filter(status__in=Payment.IN_FLIGHT_STATUSES).values("loan_id")
    facts.in_flight = {r["loan_id"]: r["t"] for r in flying.annotate(t=Sum("amount"))}
    recent = payments.filter(created_at__gte=now - dt.timedelta(hours=1)).values("loan_id")
    facts.attempts = {r["loan_id"]: r["n"] for r in recent.annotate(n=Count("pk"))}
    cards = Payment.objects.filter(
        any_of("payer_id", owners), method_kind="card", created_at__gte=now - dt.timedelta(days=1)
    ).values_list("payer_id", "method_id")
    for payer_id, method_id in cards.distinct():
        facts.cards.setdefault(payer_id, set()).add(method_id)
    higher = [d for d in debits if d.plan.last_amount is not None]
    if higher:
        notices = AutopayAmountNotice.objects.filter(
            any_of("plan_id", [d.plan_id for d in higher]),
            any_of("period_key", {d.period_key for d in higher}),
        ).order_by("noticed_on", "pk")
        run_dates = {(d.plan_id, d.period_key): d.run_date for d in higher}
        for plan_id, key, amount, noticed in notices.values_list(
            "plan_id", "period_key", "amount", "noticed_on"
        ):
            run = run_dates.get((plan_id, key))
            if run is not None and noticed <= run - dt.timedelta(days=10):
                facts.announced[(plan_id, key)] = amount  # the latest announced one wins
    return facts


def _payment(debit: AutopayDebit, *, on: dt.date, wall: dt.datetime) -> Payment:
    """The payment row `payment_submit` would create for this debit, already claimed for the
    processor call (`submitted_at`, as `payment_charge` sets it under the gate's lock)."""
    plan, method = debit.plan, debit.plan.method
    return Payment(
        reference=new_reference(),
        idempotency_key=debit.idempotency_key,
        loan=plan.loan,
        payer=plan.owner,
        payer_email=plan.owner.email,
        method=method,
        method_kind=method.kind,
        method_label=method.label,
        source=Payment.Source.AUTOPAY,
        amount=debit.amount,
        fee_amount=rules.card_fee(
            method_kind=method.kind, lender_card_fee=plan.loan.lender.card_convenience_fee
        ),
        scheduled_for=on,
        effective_date=on,  # the run's business date, whatever the clock says
        status=PS.SUBMITTING,
        submitted_at=wall,
    )


def _write(charges: list[Charge], debits: list[AutopayDebit], wall: dt.datetime) -> None:
    """The payments, their events and the debits' new state: one statement each."""
    payments = insert_rows(Payment, [c.payment for c in charges])
    insert_rows(
        PaymentEvent,
        [
            PaymentEvent(
                payment=p, from_status="", to_status=p.status, actor=p.payer, actor_label=ACTOR
            )
            for p in payments
        ],
    )
    rows = [(d.pk, *[getattr(d, f) for f in DEBIT_FIELDS], wall) for d in debits]
    update_rows(AutopayDebit, (*DEBIT_FIELDS, "updated_at"), rows)


# --- 2. the processor ----------------------------------------------------------------------------
def call_processor(charges: list[Charge], *, concurrency: int) -> None:
    """Send each payment under its idempotency key, `concurrency` calls at once; the answer
    (or why there is none) is set on its Charge."""
    run_bounded(lambda job: job(), processor_jobs(charges), concurrency)


def processor_jobs(charges: list[Charge]) -> list:
    """The processor calls for `charges`, as callables that never raise for one charge (an
    unexpected error leaves the payment claimed, SUBMITTING, for the recovery sweep, which asks
    the processor by key). With a processor's batch API (`charge_many`) and
    settings.AUTOPAY_PROCESSOR_BATCH, one call per that many charges."""
    gateway = get_gateway()
    pace = Pace.shared(getattr(settings, "AUTOPAY_PROCESSOR_RATE_PER_SECOND", 0) or 0)
    size = int(getattr(settings, "AUTOPAY_PROCESSOR_BATCH", 0))
    if size > 0 and hasattr(gateway, "charge_many"):
        slices = [charges[i : i + size] for i in range(0, len(charges), size)]
        return [partial(_many, gateway, part, pace) for part in slices]
    return [partial(_one, gateway, charge, pace) for charge in charges]


def _request(payment: Payment) -> ChargeRequest:
    return ChargeRequest(
        idempotency_key=payment.idempotency_key,
        amount=payment.total_charged,
        source_token=payment.method.processor_token,
        description=f"Loan payment {payment.reference}",
    )


def _still_mandated(charges: list[Charge]) -> list[Charge]:
    """The charges still mandated now, right before the call; the others are not sent: their
    payments stay claimed for the sweep, whose resend the charge gate refuses (cancelled, the
    debit skipped with this reason: gate.autopay_refusal)."""
    stopped = mandates_stopped_now([(c.debit.plan_id, c.debit.run_date) for c in charges])
    for charge in charges:
        if why := stopped.get(charge.debit.plan_id):
            logger.warning("autopay payment %s not sent: %s", charge.payment.reference, why)
            charge.error = True
    return [c for c in charges if not c.error]


def _one(gateway, charge: Charge, pace: Pace) -> None:
    try:
        if not _still_mandated([charge]):
            return
        request = _request(charge.payment)
        pace.wait()
        try:
            _answer(charge, gateway.charge(request))
        except Exception as exc:
            _answer(charge, exc)
    except BaseException:
        _in_doubt([charge])
        raise


def _many(gateway, charges: list[Charge], pace: Pace) -> None:
    try:
        charges = _still_mandated(charges)
        if not charges:
            return
        requests = [_request(c.payment) for c in charges]
        pace.wait(len(requests))
        try:
            answers = gateway.charge_many(requests)
        except Exception as exc:
            answers = [exc] * len(charges)
        for charge, answer in zip(charges, answers, strict=True):
            _answer(charge, answer)
    except BaseException:
        _in_doubt(charges)
        raise


def _in_doubt(charges: list[Charge]) -> None:
    """A call's thread ended by a BaseException (a test's simulated kill) with no answer: the
    money may have been taken, so the charge is left to the sweep, by key — not recorded as a
    decline with no code (the attacker review of 31a85ff)."""
    for charge in charges:
        if charge.result is None and not charge.decline and not charge.unknown:
            charge.error = True


def _answer(charge: Charge, answer: "ChargeResult | Exception") -> None:
    """The processor's answer, or its error, on the charge (as `payment_charge` reads them)."""
    if isinstance(answer, ChargeResult):
        charge.result = answer
    elif isinstance(answer, TemporaryGatewayError):
        charge.decline = str(answer) or "processing_error"
    elif isinstance(answer, OutcomeUnknown):
        charge.unknown = True
    elif isinstance(answer, GatewayError):
        logger.error("processor refused payment %s: %s", charge.payment.reference, answer)
        charge.decline = "processing_error"
    else:
        logger.error("autopay payment %s: %r; the sweep resolves it", charge.payment, answer)
        charge.error = True
