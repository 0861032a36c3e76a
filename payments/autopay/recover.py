"""Taken-over SUBMITTING debits (their claim died with its process), resolved set-based: the
same path as fresh charges, not one payment at a time.

1. One statement reads the debits (still SUBMITTING under this claim), one their payments (by
   the attempt's idempotency key).
2. The in-doubt payments (SUBMITTING, UNKNOWN) are claimed for recovery in one statement
   (`payments.recovery.payments_claim_for_recovery`: a compare-and-set of each claim, so two
   sweeps never both ask); one another sweep holds is left to it ("pending").
3. The processor is asked by key: a batch lookup (`fetch_charges`) when the processor offers
   one and settings.AUTOPAY_PROCESSOR_BATCH is set, else one lookup per key, on the process's
   shared `Caller` (pipeline.run_calls: at most `concurrency` calls in flight with every
   chunk's charges), paced as charges are.
4. The answers found are recorded by batch_record.py in bulk, as a part's answers are
   (pipeline._record: postings, declines with their retry or failure and emails, what the loan
   can no longer take whole through the one-payment path), under "system:recovery".
5. A key the processor has no record of was never taken: `payment_resend` sends it again under
   the same key through the charge gate, as `payment_recover` does, then `autopay_finish` (on
   the shared `Caller` too).

What is left to the caller's one-debit path: a debit with no payment under its key (its process
died before `payment_submit` created it: the one-debit path's own debits) and one whose payment
is already resolved (`autopay_finish` records it).
"""

import datetime as dt
import logging
import threading
from collections import Counter
from functools import partial

from django.conf import settings
from django.utils import timezone

from ismartpay.core.pacing import Pace

from ..gateways import get_gateway
from ..models import AutopayDebit, Payment
from ..recovery import payments_claim_for_recovery
from ..services.charging import RECOVERY, payment_resend
from . import batch, pipeline
from .outcomes import autopay_finish

logger = logging.getLogger("ismartpay.autopay")
D = AutopayDebit.Status


def taken_over(claim, *, on: dt.date, now: dt.datetime, concurrency: int):
    """`recover_stuck` for a claim's taken-over debits (`claims.Claim.stuck`). Returns the
    outcomes and the debits left one by one: what it leaves, or all of them if it failed."""
    if not claim.stuck:
        return Counter(), []
    try:
        return recover_stuck(
            claim.stuck, token=claim.token, on=on, now=now, concurrency=concurrency
        )
    except Exception:  # one bad row must not stop the chunk: each debit on its own path
        logger.exception("autopay: recovery set path failed for %s debits", len(claim.stuck))
        return Counter(), list(claim.stuck)


def recover_stuck(
    debit_ids: list[int], *, token: str, on: dt.date, now: dt.datetime, concurrency: int
) -> tuple[Counter, list[int]]:
    """Steps 1–5 for the taken-over debits of claim `token`. Returns the outcomes and the
    debits left to the one-debit path."""
    out: Counter = Counter()
    debits = list(
        AutopayDebit.objects.filter(pk__in=debit_ids, status=D.SUBMITTING, claimed_by=token)
        .select_related("plan__loan", "plan__owner")
        .order_by("pk")
    )
    out["not_claimed"] = len(debit_ids) - len(debits)
    payments = {
        p.idempotency_key: p
        for p in Payment.objects.filter(
            idempotency_key__in=[d.idempotency_key for d in debits]
        ).select_related("payer")
    }
    charges, single = [], []
    for debit in debits:
        payment = payments.get(debit.idempotency_key)
        if payment is None or payment.status not in Payment.IN_FLIGHT_STATUSES:
            single.append(debit.pk)
        else:
            charges.append(batch.Charge(debit, payment))
    charges = _claimed(charges, out)
    ask(charges, concurrency=concurrency)
    found = [c for c in charges if c.result is not None or c.error]
    pipeline._record(batch.Prepared(charges=found), on=on, now=now, out=out, actor=RECOVERY)
    absent = [c for c in charges if c.result is None and not c.error]
    counted = threading.Lock()

    def resend(charge: batch.Charge) -> None:
        outcome = _resend(charge, on=on, now=now)
        with counted:  # the shared Caller's threads
            out[outcome] += 1

    pipeline.run_calls([partial(resend, charge) for charge in absent], concurrency)
    return +out, single


def _claimed(charges: list[batch.Charge], out: Counter) -> list[batch.Charge]:
    """The charges whose payment this sweep claimed for recovery (step 2)."""
    wall = timezone.now()
    seen = {c.payment.pk: c.payment.submitted_at for c in charges}
    won = payments_claim_for_recovery(seen, wall=wall)
    out["pending"] += len(charges) - len(won)  # a live claim holds it; its holder finishes it
    for charge in charges:
        if charge.payment.pk in won:
            charge.payment.submitted_at = wall  # the claim `_resend` holds
    return [c for c in charges if c.payment.pk in won]


def ask(charges: list[batch.Charge], *, concurrency: int) -> None:
    """Step 3: each charge's answer by key on `Charge.result` (None: the processor has no
    record of it); a lookup that fails sets `Charge.error` (the next sweep asks again)."""
    gateway = get_gateway()
    pace = Pace.shared(getattr(settings, "AUTOPAY_PROCESSOR_RATE_PER_SECOND", 0) or 0)
    size = int(getattr(settings, "AUTOPAY_PROCESSOR_BATCH", 0))
    if size > 0 and hasattr(gateway, "fetch_charges"):
        slices = [charges[i : i + size] for i in range(0, len(charges), size)]
        jobs = [partial(_fetch_many, gateway, part, pace) for part in slices]
    else:
        jobs = [partial(_fetch_one, gateway, charge, pace) for charge in charges]
    pipeline.run_calls(jobs, concurrency)


def _fetch_one(gateway, charge: batch.Charge, pace: Pace) -> None:
    pace.wait()
    try:
        charge.result = gateway.fetch_charge(charge.payment.idempotency_key)
    except Exception:
        logger.exception("asking about payment %s failed; the next sweep asks", charge.payment)
        charge.error = True


def _fetch_many(gateway, charges: list[batch.Charge], pace: Pace) -> None:
    pace.wait(len(charges))
    try:
        answers = gateway.fetch_charges([c.payment.idempotency_key for c in charges])
    except Exception:
        logger.exception("asking about %s payments failed; the next sweep asks", len(charges))
        answers = None
    for i, charge in enumerate(charges):
        charge.result, charge.error = (None, True) if answers is None else (answers[i], False)


def _resend(charge: batch.Charge, *, on: dt.date, now: dt.datetime) -> str:
    """Step 5, one payment: `payment_resend` (the charge gate, then the same key), recorded on
    its debit. Returns the debit's outcome."""
    try:
        payment = payment_resend(payment_id=charge.payment.pk, held=charge.payment.submitted_at)
        return autopay_finish(charge.debit.pk, payment, now=now, on=on)
    except Exception:
        logger.exception("resending autopay payment %s failed; the sweep retries", charge.payment)
        return "error"
