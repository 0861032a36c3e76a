"""A loan's autopay periods are priced in order: a debit whose amount depends on an earlier
period's debit of its loan that is still open — due, claimed, at the processor, waiting to
retry or itself waiting — waits for it.

An earlier period's outcome changes what a later one owes: with it unposted, the "amount due"
rule takes both installments in the later debit (and the earlier one's retry then finds
nothing due; with Regulation E's ceiling a period is lost), and near the payoff the later one
is refused as "already on its way" and fails. loan_groups.py keeps a loan's due debits in one
chunk and part, and batch.prepare prices them there one after another; this rule covers what
those cannot see — an earlier period outside the claim: a soft decline waiting to retry (15
min, then 1 h), an R01/R09 return waiting to be presented again (2 days,
outcomes.REPRESENT_AFTER), a debit another worker or the sweep holds, a charge whose answer was
lost. Found by the attacker review of b1b9c48 (issue 15, findings C, D, E and F1).

Only a dependent amount waits (`depends_on`): under the "amount due" rule always; under the
others (installment, fixed, extra) only near the payoff, where both together reach it — else
the later period is charged on its date, as before. An earlier payment held for staff review
holds nothing back: a review may take days, and the later period would go late (the attacker
review of c04890e); an "amount due" later period is priced without the held installments
(`net_of_held`), and waits for the review only when they would pay all of it.

A debit that waits becomes WAITING with its attempts unchanged (no presentment was made, so
NACHA's three are untouched) and no borrower notice. Its next attempt is the earlier debit's
when that one waits for a time (RETRY or WAITING) — both are then claimed together and priced
in order — else in a minute, the recovery sweep's period (an earlier debit at the processor is
resolved by that sweep). No cycle: only an earlier period holds a later one back, and the
earliest open debit always goes on.
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Exists, OuterRef

from ismartpay.core.arrays import any_of
from ismartpay.core.money import ZERO

from ..models import AutopayDebit, AutopayPlan, Payment

D = AutopayDebit.Status
WAIT = dt.timedelta(minutes=1)  # the recovery sweep runs every minute
# A staff review takes hours or days: a period waiting for one is looked at again this often.
WAIT_HELD = dt.timedelta(minutes=15)


class OpenDebit(NamedTuple):
    pk: int
    period_key: dt.date
    status: str
    next_attempt_at: dt.datetime | None
    amount: Decimal | None  # its last attempt's; None before the first
    held: bool  # its payment waits for staff review (payments/risk.py)


def held_for_review() -> Exists:
    """Whether an AutopayDebit's payment waits for staff review (payments/risk.py), as an
    expression on the debit (its payment is found by the idempotency key)."""
    return Exists(
        Payment.objects.filter(
            idempotency_key=OuterRef("idempotency_key"), status=Payment.Status.HELD
        )
    )


def open_debits(loan_ids: Iterable[int]) -> dict[int, list[OpenDebit]]:
    """The open debits of these loans (any plan's), by loan. Two statements: the loans' plans,
    then their open debits by plan, from the partial index of open debits — found by plan
    whatever the table holds. One statement joining plans by loan let PostgreSQL read every
    open debit of the run for each part: 574 charges a second at 100,000 plans against 1,192
    (bench/README.md, series H)."""
    plans = AutopayPlan.objects.filter(any_of("loan_id", sorted(set(loan_ids))))
    loan_of = dict(plans.values_list("pk", "loan_id"))
    if not loan_of:
        return {}
    rows = (
        AutopayDebit.objects.filter(
            any_of("plan_id", sorted(loan_of)), status__in=AutopayDebit.OPEN_STATUSES
        )
        .annotate(held=held_for_review())
        .values_list("plan_id", "pk", "period_key", "status", "next_attempt_at", "amount", "held")
    )
    out: dict[int, list[OpenDebit]] = {}
    for plan_id, *row in rows:
        out.setdefault(loan_of[plan_id], []).append(OpenDebit(*row))
    return out


def depends_on(earlier: OpenDebit, *, rule: str, amount: Decimal, payoff: Decimal) -> bool:
    """Whether a later debit of `amount` (its plan's amount `rule`; the loan's `payoff` now)
    depends on `earlier`'s outcome: under the "amount due" rule always (it counts the earlier
    installment while unpaid); under the others when both together reach the payoff (the later
    one is then the final payment, or refused while the earlier one is on its way). An
    earlier debit not priced yet is taken at the later one's amount."""
    return (
        rule == AutopayPlan.AmountRule.AMOUNT_DUE or amount + (earlier.amount or amount) >= payoff
    )


def _earlier(debit: AutopayDebit, others: Iterable[OpenDebit]) -> list[OpenDebit]:
    return [o for o in others if o.period_key < debit.period_key and o.pk != debit.pk]


def net_of_held(
    debit: AutopayDebit, others: Iterable[OpenDebit], amount: Decimal
) -> tuple[Decimal, OpenDebit | None]:
    """`amount` less what earlier periods' payments held for staff review will pay, under the
    "amount due" rule (it counts their installments while unpaid): approved, they pay them;
    rejected, the borrower is told to pay them. Before, Jan took Dec's installment too and
    the approved Dec took it again: 1,449.96 for two periods of 483.32 (the attacker review of
    31a85ff). The other rules' amounts do not count earlier periods.

    And the earliest of those held debits when they leave nothing of a positive `amount`: the
    period then waits for the review (`wait_for`) instead of being skipped "nothing due" —
    rejected, its amount is back (the borrower paid December by hand, Dec's held payment was
    rejected: January was never collected; the attacker review helper-64, F4)."""
    if debit.plan.amount_rule != AutopayPlan.AmountRule.AMOUNT_DUE:
        return amount, None
    held = [o for o in _earlier(debit, others) if o.held]
    net = max(amount - sum((o.amount or ZERO for o in held), ZERO), ZERO)
    if amount > 0 and net <= 0:
        return net, min(held, key=lambda o: (o.period_key, o.pk))
    return net, None


def must_wait(
    debit: AutopayDebit, others: Iterable[OpenDebit], *, amount: Decimal, payoff: Decimal
) -> OpenDebit | None:
    """The earliest open debit of the loan for a period before `debit`'s, if `debit`'s amount
    depends on it (`depends_on`); else None. A payment held for staff review holds nothing
    back (`net_of_held` prices around it)."""
    earlier = [o for o in _earlier(debit, others) if not o.held]
    first = min(earlier, key=lambda o: (o.period_key, o.pk), default=None)
    rule = debit.plan.amount_rule
    if first is None or not depends_on(first, rule=rule, amount=amount, payoff=payoff):
        return None
    return first


def wait_for(debit: AutopayDebit, earlier: OpenDebit, *, now: dt.datetime) -> str:
    """Set `debit` WAITING for `earlier`, in memory (the caller writes status, reason and
    next_attempt_at). Returns the outcome, "waiting"."""
    then = earlier.next_attempt_at if earlier.status in AutopayDebit.TIMED_STATUSES else None
    if then is None or then <= now:
        then = now + (WAIT_HELD if earlier.held else WAIT)
    debit.next_attempt_at = then
    key = earlier.period_key
    debit.status = D.WAITING
    debit.reason = f"waits for the payment of {key:%b} {key.day}, {key.year}"
    return "waiting"


def debit_wait_for_earlier(
    *,
    debit: AutopayDebit,
    others: Iterable[OpenDebit],
    amount: Decimal,
    payoff: Decimal,
    now: dt.datetime,
    held: OpenDebit | None = None,
) -> bool:
    """The one-debit path's check: if `debit` (priced at `amount`, the loan's payoff `payoff`)
    must wait for one of its loan's open debits `others` (`must_wait`), or for `held` (the
    held debit net_of_held names), save it WAITING for it (True)."""
    earlier = held or must_wait(debit, others, amount=amount, payoff=payoff)
    if earlier is None:
        return False
    wait_for(debit, earlier, now=now)
    debit.save(update_fields=["status", "reason", "next_attempt_at", "updated_at"])
    return True
