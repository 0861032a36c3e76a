"""The nightly autopay run: turn due periods into debit rows, claim them, charge them.

Exactly once, by the database:
1. `autopay_schedule_due` (due_rows.py) inserts one AutopayDebit per (plan, period) due, with
   INSERT … ON CONFLICT DO NOTHING, and moves each plan's cursor; missed periods are the catch-up.
2. `autopay_charge_chunk` claims rows with FOR UPDATE SKIP LOCKED under a 30 s lease that a
   heartbeat thread renews while the chunk runs (claims.py, leases.py), then charges them
   set-based (batch.py): payments and their keys committed before any processor call, calls
   with bounded concurrency, outcomes and postings recorded in bulk (batch_record.py). Rows
   under a dead claim (lease run out, or holder process on this host gone) are claimable too:
   a CLAIMED one is charged, a SUBMITTING one resolved by its idempotency key, set-based too
   (recover.py: payments claimed for recovery, the processor asked, answers recorded in bulk).
3. `autopay_charge_debit`, one debit (what the set path leaves: catch-ups, payoffs, risk
   holds): commits the attempt's key on the debit, then `payment_submit` under it.
4. `autopay_recover` (the recovery sweep, every minute) takes over debits under dead claims,
   DUE debits whose run died, and RETRY and WAITING debits now due: a payment with that key
   is asked about at the processor by key (recover.py), never charged under a new key.
"""

import datetime as dt
import logging
import threading
from collections import Counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ismartpay.core.arrays import any_of
from ismartpay.core.money import ZERO
from loans import flags
from loans.collections import flags_by_loan

from ..errors import AmountNotAllowed, MethodNotUsable, PaymentError
from ..models import AutopayAmountNotice, AutopayDebit, AutopayPlan, Payment
from ..recovery import payment_claim_for_recovery
from ..services import payment_recover, payment_submit
from ..services.payoff import loan_paid_off_end_autopay
from . import batch, claims, leases, period_order, pipeline, recover
from . import schedule as sched
from .bounded import run_bounded
from .due_rows import autopay_schedule_due  # noqa: F401 - step 1, the run's entry
from .guards import plan_stopped
from .loan_groups import split_by_loan
from .outcomes import (  # noqa: F401 — autopay_finish_by_key: the payment sweep's entry
    CLOSED_LOAN,
    MAX_ATTEMPTS,
    _finish_refused,
    autopay_finish,
    autopay_finish_by_key,
    autopay_represent_returned,
    autopay_suspend_returned,
)
from .selectors import amount_and_payoff_for_period, plan_terms

logger = logging.getLogger("ismartpay.autopay")
D = AutopayDebit.Status
P = AutopayPlan.Status
PS = Payment.Status
ORPHAN_AFTER = dt.timedelta(seconds=60)  # a DUE debit whose run shows no life this long
CHUNK_SIZE = 500


def charge_concurrency() -> int:
    """Charges in flight per chunk: settings.AUTOPAY_CHARGE_CONCURRENCY, or when it is 0, 16 on
    PostgreSQL and 1 on SQLite (embedded), which takes one writer at a time."""
    return settings.AUTOPAY_CHARGE_CONCURRENCY or (1 if connection.vendor == "sqlite" else 16)


def _in_scope(rows, lender_timezone: str | None):
    return rows.filter(plan__loan__lender__timezone=lender_timezone) if lender_timezone else rows


def due_debit_ids(
    *, on: dt.date, now: dt.datetime, lender_timezone: str | None = None
) -> list[int]:
    """Debits due by `on` (claims.due_q) and those under a dead claim (taken over)."""
    rows = _in_scope(AutopayDebit.objects.filter(run_date__lte=on), lender_timezone)
    due = rows.filter(claims.due_q(now))
    ids = set(due.values_list("pk", flat=True)) | set(claims.dead_claims(rows))
    return sorted(ids)


def held_by_others(*, on: dt.date, job_run_id: int, lender_timezone: str | None = None):
    """Debits due by `on` that another live claim holds (another run, chunk or the sweep)."""
    rows = AutopayDebit.objects.filter(run_date__lte=on).exclude(job_run_id=job_run_id)
    return claims.live_claims(_in_scope(rows, lender_timezone))


def configured_chunk_size() -> int:
    return int(getattr(settings, "AUTOPAY_CHUNK_SIZE", CHUNK_SIZE))


def chunks(ids: list[int], size: int | None = None) -> list[list[int]]:
    """Debit ids in chunks of AUTOPAY_CHUNK_SIZE (500): a task and a claim paid once per few
    hundred charges; a loan's debits never split between chunks (loan_groups.py says why)."""
    size = size or configured_chunk_size()
    rows = AutopayDebit.objects.filter(any_of("pk", ids)).values_list("pk", "plan__loan_id")
    return split_by_loan(ids, dict(rows) if ids else {}, size)


# --- 2. claim and charge -----------------------------------------------------------------------
def autopay_charge_chunk(
    debit_ids: list[int],
    *,
    on: dt.date,
    now: dt.datetime | None = None,
    concurrency: int | None = None,
    job_run_id: int | None = None,
) -> Counter:
    """Claim and charge up to a few hundred debits under one lease, renewed by a heartbeat
    thread while they run, set-based (batch.py): a fixed number of statements per chunk, the
    processor called `concurrency` at a time. A process killed here leaves a claim that dies
    with it: the next run or the sweep takes the rows over."""
    now = now or timezone.now()
    claim = claims.autopay_claim(debit_ids, now=now, job_run_id=job_run_id)
    outcomes: Counter = Counter()
    if not claim.fresh and not claim.stuck:
        return outcomes
    concurrency = concurrency or charge_concurrency()
    outcomes["taken_over"] = len(claim.stuck)
    try:
        with leases.heartbeat(lambda: claims.renew(claim.token, job_run_id)):
            outcomes.update(_charge_claimed(claim, on=on, now=now, concurrency=concurrency))
    except Exception:
        claims.release(claim.token)
        raise
    claims.release(claim.token)  # (not on a BaseException: as a kill, the lease runs out)
    return +outcomes


def _charge_claimed(claim: claims.Claim, *, on: dt.date, now: dt.datetime, concurrency: int):
    """Taken-over SUBMITTING debits first (recover.py, by key; what it leaves one by one, loans
    at once), so a fresh debit is priced with its loan's posted; then the fresh debits' parts
    (pipeline.py) and one at a time what they leave (a catch-up, a payoff, a possible hold):
    two debits of one loan priced at once read one ledger (attacker review of b1b9c48)."""
    outcomes, left = recover.taken_over(claim, on=on, now=now, concurrency=concurrency)

    def one(debit_id: int, *, stuck: bool) -> str:
        try:
            if stuck:
                return _submit_and_finish(debit_id, now=now, on=on, token=claim.token)
            return autopay_charge_debit(debit_id, on=on, now=now, token=claim.token)
        except Exception:
            logger.exception("autopay debit %s failed; the sweep will resolve it", debit_id)
            return "error"

    counted = threading.Lock()

    def loan_in_order(group: list[int]) -> None:  # a crash may leave a chunk's worth
        for debit_id in group:
            outcome = one(debit_id, stuck=True)
            with counted:
                outcomes[outcome] += 1

    # split_by_loan with size 1: one list per loan, its debits in id order.
    run_bounded(loan_in_order, split_by_loan(left, claim.loan_of, 1), concurrency)
    return outcomes + pipeline.charge_claimed(
        claim.fresh,
        loan_of=claim.loan_of,
        token=claim.token,
        on=on,
        now=now,
        concurrency=concurrency,
        one_by_one=lambda single: Counter(one(pk, stuck=False) for pk in single),
    )


def _ceiling(plan: AutopayPlan, debit: AutopayDebit):
    """Regulation E (batch.announced_ceiling): the previous amount, or one announced at least
    10 days before. A lower amount (e.g. the final payment) is never a surprise charge."""
    if plan.last_amount is None:
        return None
    latest = (
        AutopayAmountNotice.objects.filter(
            plan=plan,
            period_key=debit.period_key,
            noticed_on__lte=debit.run_date - dt.timedelta(days=10),
        )
        .order_by("-noticed_on", "-pk")
        .values_list("amount", flat=True)
        .first()
    )
    return batch.announced_ceiling(plan.last_amount, latest)


def _price(debit: AutopayDebit, *, on: dt.date):
    """The debit's amount — its plan's rule, net of earlier installments held for review,
    capped at Regulation E's ceiling — the loan's payoff, the loan's open debits, and the held
    debit to wait for when only held payments pay it (period_order.net_of_held)."""
    plan, loan = debit.plan, debit.plan.loan
    period = sched.Period(debit.period_key, debit.run_date)
    amount, payoff = amount_and_payoff_for_period(plan_terms(plan), loan, period, on=on)
    others = period_order.open_debits([loan.pk]).get(loan.pk, ())
    amount, held = period_order.net_of_held(debit, others, amount)
    # The ceiling is never below the previous amount: only a higher amount needs the notice
    # lookup (most debits repeat the previous amount and skip the query).
    if plan.last_amount is not None and amount > plan.last_amount:
        amount = min(amount, _ceiling(plan, debit))
    return amount, payoff, others, held


def autopay_charge_debit(
    debit_id: int, *, on: dt.date, now: dt.datetime, token: str | None = None
) -> str:
    """Charge one claimed debit. Returns charged | failed | retry | skipped | pending |
    waiting (period_order.py) | not_claimed.

    One transaction locks the debit (with its plan, loan, method and owner in the same
    SELECT), fixes the amount and commits the attempt's idempotency key; then the payment is
    submitted under that key and the outcome recorded with conditional UPDATEs."""
    closed = None
    with transaction.atomic():
        debit = (
            AutopayDebit.objects.select_for_update(of=("self",))
            .select_related("plan__loan__lender", "plan__method", "plan__owner")
            .get(pk=debit_id)
        )
        if debit.status != D.CLAIMED or (token and debit.claimed_by != token):
            return "not_claimed"
        plan, loan = debit.plan, debit.plan.loan
        if stopped := plan_stopped(plan.status):  # the mandate (guards.py), as the gate's
            return _close(debit, D.SKIPPED, stopped)
        if loan.status in CLOSED_LOAN:
            closed = _close(debit, D.SKIPPED, f"loan is {loan.get_status_display().lower()}")
        elif paused := flags.autopay_paused(flags_by_loan([loan.pk]).get(loan.pk, ()), on):
            return _close(debit, D.SKIPPED, paused)  # bankruptcy, deceased (loans/flags.py)
        else:
            amount, payoff, others, held = _price(debit, on=on)
            if amount <= ZERO and held is None:
                return _close(debit, D.SKIPPED, "nothing due")
            if period_order.debit_wait_for_earlier(
                debit=debit, others=others, amount=amount, payoff=payoff, now=now, held=held
            ):
                return "waiting"  # an earlier period's debit of the loan is still open
            debit.attempts += 1
            debit.amount = amount
            debit.idempotency_key = f"autopay:{plan.pk}:{debit.period_key:%Y%m%d}:{debit.attempts}"
            debit.status = D.SUBMITTING
            debit.save(
                update_fields=["attempts", "amount", "idempotency_key", "status", "updated_at"]
            )
    if closed:
        loan_paid_off_end_autopay(loan_id=loan.pk, on=on)
        return closed
    # Only a debit that covers the payoff (as of `on`) can pay the loan off; the others skip
    # the paid-off check. A payment dated before `on` has a payoff no higher than that.
    return _submit_and_finish(
        debit.pk, now=now, on=on, debit=debit, may_pay_off=debit.amount >= payoff, fresh=True
    )


def _close(debit: AutopayDebit, status: str, reason: str) -> str:
    debit.status = status
    debit.reason = reason[:200]
    debit.save(update_fields=["status", "reason", "updated_at"])
    return "skipped" if status == D.SKIPPED else status


def _submit_and_finish(
    debit_id: int,
    *,
    now: dt.datetime,
    on: dt.date,
    debit: AutopayDebit | None = None,
    may_pay_off: bool = True,
    fresh: bool = False,
    token: str | None = None,
) -> str:
    """Submit the debit's current attempt under its idempotency key. A fresh attempt (the
    caller passes the debit it just committed) goes straight to `payment_submit`, which finds
    an existing payment by key itself; a taken-over SUBMITTING debit (`token`: the new claim)
    looks the payment up first and asks the processor about it by key, once the payment's own
    claim is ours (`payment_claim_for_recovery`: two sweeps never both ask)."""
    if debit is None:
        debit = AutopayDebit.objects.select_related("plan__method", "plan__owner").get(pk=debit_id)
        if debit.status != D.SUBMITTING or (token and debit.claimed_by != token):
            return "not_claimed"
    plan = debit.plan
    payment = None
    if not fresh:
        payment = Payment.objects.filter(idempotency_key=debit.idempotency_key).first()
        if payment is not None and payment.status in (PS.SUBMITTING, PS.UNKNOWN):
            wall = timezone.now()
            if not payment_claim_for_recovery(payment.pk, seen=payment.submitted_at, wall=wall):
                return "pending"  # a live claim holds it; its holder finishes this debit too
            payment = payment_recover(payment_id=payment.pk, claim=wall)
    try:
        if payment is None:
            payment = payment_submit(
                loan_id=plan.loan_id,
                method=plan.method,
                amount=debit.amount,
                idempotency_key=debit.idempotency_key,
                payer=plan.owner,
                payer_email=plan.owner.email,
                confirm_duplicate=True,
                source=Payment.Source.AUTOPAY,
                actor_label="system:autopay",
                now=now,
                business_date=on,  # the run's date, whatever the clock says (finding 7)
            )
    except (MethodNotUsable, AmountNotAllowed, PaymentError) as exc:
        return _finish_refused(debit_id, str(exc), suspend=isinstance(exc, MethodNotUsable))
    return autopay_finish(debit_id, payment, now=now, on=on, may_pay_off=may_pay_off)


# --- 3. recovery (the sweep's autopay part) ----------------------------------------------------
def autopay_recover(
    *, now: dt.datetime | None = None, on: dt.date | None = None, wall: dt.datetime | None = None
) -> Counter:
    """Take over and finish what a dead process left: debits under a dead claim (a CLAIMED
    one is charged, a SUBMITTING one resolved by key), DUE debits whose run shows no life for
    ORPHAN_AFTER (its coordinator or its chunk's message died), and RETRY and WAITING debits
    now due.
    A taken-over debit counts on its run's business date; a retry on `on` (today)."""
    from ..models import JobRun

    now = now or timezone.now()
    wall = wall or timezone.now()
    on = on or timezone.localtime(now, ZoneInfo(settings.TIME_ZONE)).date()
    quiet = wall - ORPHAN_AFTER
    R = JobRun.Status
    orphans = AutopayDebit.objects.filter(status=D.DUE, run_date__lte=on).filter(
        Q(job_run__isnull=True, created_at__lt=quiet)
        | Q(job_run__status__in=[R.INTERRUPTED, R.FAILED, R.FINISHED])
        | Q(job_run__status__in=[R.RUNNING, R.DISPATCHED], job_run__heartbeat_at__lt=quiet)
        | Q(job_run__status__in=[R.RUNNING, R.DISPATCHED], job_run__heartbeat_at__isnull=True)
    )
    ids = set(orphans.values_list("pk", flat=True))
    ids |= set(claims.dead_claims(AutopayDebit.objects.all()))
    by_date: dict[dt.date, list[int]] = {}
    for pk, run_on in AutopayDebit.objects.filter(any_of("pk", ids)).values_list(
        "pk", "job_run__business_date"
    ):
        by_date.setdefault(run_on or on, []).append(pk)
    retries = AutopayDebit.objects.filter(claims.due_again_q(now))
    by_date.setdefault(on, []).extend(retries.values_list("pk", flat=True))
    outcomes: Counter = Counter()
    for run_on, debit_ids in sorted(by_date.items()):
        for chunk in chunks(sorted(debit_ids)):
            outcomes.update(autopay_charge_chunk(chunk, on=run_on, now=now))
    return outcomes
