"""A loan's autopay periods are priced in order: a debit is priced only while no earlier
period's debit of its loan is still open — due, claimed, at the processor, or waiting to retry.

An earlier period's outcome changes what a later one owes: with it unposted, the "amount due"
rule takes both installments in the later debit (and the earlier one's retry then finds
nothing due), and near the payoff the later one is refused as "already on its way" and fails.
loan_groups.py keeps a loan's due debits in one chunk and part, and batch.prepare prices them
there one after another; this rule covers what those cannot see — an earlier period outside the
claim (a soft decline waiting to retry, a debit another worker or the sweep holds, a charge whose
answer was lost). Found by the attacker review of b1b9c48 (issue 15, findings C, D, E and F1).

A debit that must wait goes to RETRY with its attempts unchanged (no presentment was made, so
NACHA's three are untouched) and no borrower notice: its next attempt is the earlier debit's
when that one waits to retry — both are then claimed together, in order — else in a minute,
the recovery sweep's period. No cycle: only an earlier period holds a later one back, and the
earliest open debit always goes on.
"""

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

from ismartpay.core.arrays import any_of

from ..models import AutopayDebit

D = AutopayDebit.Status
WAIT = dt.timedelta(minutes=1)  # the recovery sweep runs every minute


class OpenDebit(NamedTuple):
    pk: int
    period_key: dt.date
    status: str
    next_attempt_at: dt.datetime | None


def open_debits(loan_ids: Iterable[int]) -> dict[int, list[OpenDebit]]:
    """The open debits of these loans (any plan's), by loan: one statement."""
    rows = AutopayDebit.objects.filter(
        any_of("plan__loan_id", sorted(set(loan_ids))), status__in=AutopayDebit.OPEN_STATUSES
    ).values_list("plan__loan_id", "pk", "period_key", "status", "next_attempt_at")
    out: dict[int, list[OpenDebit]] = {}
    for loan_id, *row in rows:
        out.setdefault(loan_id, []).append(OpenDebit(*row))
    return out


def earlier_open(debit: AutopayDebit, others: Iterable[OpenDebit]) -> OpenDebit | None:
    """The earliest open debit of the loan for a period before `debit`'s, or None."""
    earlier = [o for o in others if o.period_key < debit.period_key and o.pk != debit.pk]
    return min(earlier, key=lambda o: (o.period_key, o.pk), default=None)


def hold_back(debit: AutopayDebit, earlier: OpenDebit, *, now: dt.datetime) -> str:
    """Set `debit` (in memory) to wait for `earlier`; the caller saves status, reason and
    next_attempt_at. Returns the outcome, "waiting"."""
    due_later = earlier.status == D.RETRY and earlier.next_attempt_at is not None
    debit.next_attempt_at = (
        earlier.next_attempt_at if due_later and earlier.next_attempt_at > now else now + WAIT
    )
    key = earlier.period_key
    debit.status, debit.reason = D.RETRY, f"waits for the payment of {key:%b} {key.day}, {key.year}"
    return "waiting"


def held_back(debit: AutopayDebit, *, now: dt.datetime) -> bool:
    """The one-debit path: read the loan's open debits and, if an earlier period's is among
    them, save `debit` as waiting for it."""
    loan_id = debit.plan.loan_id
    earlier = earlier_open(debit, open_debits([loan_id]).get(loan_id, ()))
    if earlier is None:
        return False
    hold_back(debit, earlier, now=now)
    debit.save(update_fields=["status", "reason", "next_attempt_at", "updated_at"])
    return True
