"""When staff change a loan's due day or term, its autopay plans' cursors move with it.

A monthly plan's periods are keyed by the contract's due dates. The plan's next period
(`next_period_key`) is installment k of the old schedule; after the change it is installment k
of the new one, and the new schedule's periods start there for the plan (`periods_from`), so
an installment already debited is never debited again under its new date and none is skipped.
A skip the borrower made of an installment still ahead moves with that installment, so it
stays skipped and can still be undone. A retry of an installment whose date moved stops: the
installment is collected on its new date, as the plan's next payment. Biweekly plans do not
follow due dates (their cursor stays), but their `periods_from` moves too: it is always one
of the loan's current due dates, so a plan switched back to monthly starts at the right
installment. Called by loans.servicing inside its transaction, with the loan locked.
"""

import datetime as dt
from dataclasses import replace
from functools import partial

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ismartpay.core.money import ZERO
from loans import delinquency
from loans.delinquency import ContractSchedule
from loans.models import Loan
from loans.selectors import contract_schedule, loan_position

from ..lock_objects import plan_for_update
from ..models import AutopayDebit, AutopayPlan, Payment
from ..timing import earliest_run_date
from . import schedule as sched
from .errors import AutopayError
from .period_order import held_for_review
from .records import plan_email
from .selectors import loan_terms, next_open_period, plan_terms, skips_ahead

D = AutopayDebit.Status
OPEN_DEBITS = (D.DUE, D.CLAIMED, D.SUBMITTING, D.WAITING)  # made for the old date
TERMS_CHANGED = "the loan's terms changed: "  # a stopped retry's reason starts so
IN_FLIGHT = (
    "An automatic payment of this loan is scheduled or being processed; "
    "change its terms after it is made."
)


def cursor_at(plan: AutopayPlan, period) -> None:
    """Put the plan's cursor (not saved) at `period` (a schedule.Period), or nowhere (None:
    no period left). The one place the cursor's two fields are written from a period."""
    plan.next_period_key = period.key if period else None
    plan.next_run_date = period.run_date if period else None


def autopay_loan_terms_changed(
    *, loan: Loan, old_schedule: ContractSchedule, on: dt.date
) -> list[dict]:
    """Recompute every live monthly plan's periods and next run date for `loan`'s new terms
    (`on`: the business date of the change).

    Refused (AutopayError) while a debit of the loan is scheduled or in flight: it was made
    for the old date, so staff retry after it; and when an active plan's next run date would
    be before the earliest one a change made now may have (its cut-off passed: it would be
    charged that night with no notice, and the borrower could no longer stop it, 12 CFR
    1005.10(c)). Returns [{"plan", "next_run_date"}] changed.
    """
    plans = list(
        AutopayPlan.objects.select_for_update()
        .filter(loan=loan, status__in=AutopayPlan.LIVE_STATUSES)
        .order_by("pk")
    )
    monthly = [plan for plan in plans if plan.schedule != sched.BIWEEKLY]
    _refuse_while_a_debit_is_open(monthly)
    old_dues = list(sched.contract_due_dates(old_schedule))
    new_dues = list(sched.contract_due_dates(loan_terms(loan)))
    covered = _settled_installments(loan, on)
    changed = []
    for plan in plans:
        if plan.schedule == sched.BIWEEKLY:
            # Not charged by due dates, but its periods_from stays one of the loan's due
            # dates: switched back to monthly, it starts there (services._set_terms).
            plan.periods_from = _first_new_period(plan, plan.periods_from, old_dues, new_dues)
            plan.save(update_fields=["periods_from", "updated_at"])
            continue
        plan.periods_from = _first_new_period(plan, plan.next_period_key, old_dues, new_dues)
        _move_skips_ahead(plan, old_dues, new_dues, on)
        _follow_entries_at_the_bank(plan, old_dues, new_dues)
        stopped = _stop_retries_of_moved_installments(plan, old_dues, new_dues)
        period = next_open_period(plan)
        _refuse_a_run_date_past_its_cut_off(plan, period)
        _refuse_bringing_back_a_stopped_retry(plan, new_dues, covered)
        cursor_at(plan, period)
        plan.save(update_fields=["periods_from", "next_period_key", "next_run_date", "updated_at"])
        change = {"plan": plan.pk, "next_run_date": str(plan.next_run_date)}
        if stopped:
            change["retries_stopped"] = stopped
            _tell_retries_stopped(plan, stopped)
        if period is None:
            _end_with_no_period_left(plan)
            change["ended"] = True
        changed.append(change)
    return changed


def _tell_retries_stopped(plan: AutopayPlan, stopped: list[str]) -> None:
    """The decline's email said "we'll try again": after the commit, the borrower is told
    it won't, and when autopay collects the installment instead (the new-user review
    helper-71: the retry stopped without a word)."""
    detail = {"retries_stopped": stopped, "next_run_date": str(plan.next_run_date or "")}
    transaction.on_commit(
        partial(
            plan_email,
            plan,
            "changed",
            f"retry-stopped:{stopped[0]}:{plan.next_run_date}",
            "Your autopay follows your loan's new due dates",
            what="retry_stopped",
            detail=detail,
        ),
        robust=True,
    )


NO_PERIOD_LEFT = (
    "The loan's new terms leave no payment for autopay to make. "
    "Pay what is left from your loan's page."
)


def _end_with_no_period_left(plan: AutopayPlan) -> None:
    """A shorter term can leave a monthly plan no period: its last due date already debited
    (a chosen-day plan runs a month ahead). The nightly run reads only plans with a next run
    date, so it stayed "On", charging nothing while the rest fell due (attacker review
    helper-69). It ends once the change commits, and the borrower is emailed why: after the
    commit, as a paid-off loan's plans end (services/payoff.py), so a change refused for
    another plan of the loan ends nothing and sends nothing, and a failed email cannot undo
    the staff change."""
    from .system_stops import autopay_end  # system_stops imports services, which imports us

    transaction.on_commit(partial(autopay_end, plan_id=plan.pk, reason=NO_PERIOD_LEFT), robust=True)


def _refuse_while_a_debit_is_open(plans: list[AutopayPlan]) -> None:
    """A debit made for the old dates and not finished refuses the change; one whose payment
    waits for staff review is named, with what to do (before, staff read "being processed"
    about a payment only they could move on)."""
    open_debits = AutopayDebit.objects.filter(plan__in=plans, status__in=OPEN_DEBITS)
    held = open_debits.filter(held_for_review()).values_list("idempotency_key", flat=True)
    if key := held.first():
        reference = Payment.objects.get(idempotency_key=key).reference
        raise AutopayError(
            f"Autopay's payment {reference} waits for review: approve or reject it first, "
            "then change the terms."
        )
    if open_debits.exists():
        raise AutopayError(IN_FLIGHT)


def _follow_entries_at_the_bank(plan: AutopayPlan, old_dues: list, new_dues: list) -> None:
    """A debit charged by a bank entry still at the bank (its payment PENDING) can come back
    R01/R09 after the change, and one returned while its plan was paused is re-presented
    after a resume (attacker review helper-72); its installment's new due date is kept on it
    (`moved_to`: None when that is its own key again), so a return is collected on that date,
    not re-presented under the old one (`autopay_return_of_a_moved_installment`)."""
    at_the_bank = (Payment.Status.PENDING, Payment.Status.RETURNED)  # returned: not re-presented
    entries = plan.debits.filter(status=D.CHARGED, payment__status__in=at_the_bank)
    for debit in entries.only("pk", "period_key", "moved_to"):
        current = debit.moved_to or debit.period_key
        if current not in old_dues or old_dues.index(current) >= len(new_dues):
            continue
        new_key = new_dues[old_dues.index(current)]
        moved_to = None if new_key == debit.period_key else new_key
        if moved_to != debit.moved_to:
            plan.debits.filter(pk=debit.pk).update(moved_to=moved_to)


def _stop_retries_of_moved_installments(
    plan: AutopayPlan, old_dues: list, new_dues: list
) -> list[str]:
    """A debit waiting to be retried (a retryable decline; an R01/R09 return waiting to be
    re-presented) is of its installment's old date. Where that date moved, the retry is
    SKIPPED with the new date as its reason and `periods_from` starts at the new date, so
    the installment is the plan's next payment, on the date it is now due. Before, a
    one-month extension granted because the payment bounced re-presented the installment it
    had just deferred, and the plan's next payment was the installment after it (attacker
    review helper-69). A term change moves no date: its retries go on. A retry claimed a
    moment before is being charged: the change is refused, as for any debit in flight.
    Returns the stopped retries' old keys (ISO dates), for the audit row."""
    retries = plan.debits.filter(status=D.RETRY, period_key__in=old_dues).order_by("period_key")
    stopped = []
    for debit_id, key in retries.values_list("pk", "period_key"):
        index = old_dues.index(key)
        new_key = new_dues[index] if index < len(new_dues) else None
        if new_key == key:
            continue
        reason = TERMS_CHANGED + (
            f"this installment is now due {new_key:%b %-d, %Y}"
            if new_key
            else "the term now ends before this installment"
        )
        if not plan.debits.filter(pk=debit_id, status=D.RETRY).update(
            status=D.SKIPPED,
            reason=reason,  # next_attempt_at kept as it was, for the record
        ):
            raise AutopayError(IN_FLIGHT)
        if new_key:
            plan.periods_from = min(plan.periods_from, new_key)
        stopped.append(key.isoformat())
    return stopped


def _refuse_a_run_date_past_its_cut_off(plan: AutopayPlan, period) -> None:
    """A chosen-day plan runs before its due date, so a new due date still ahead can put
    the run date behind (day 10 of the month before: due day 25 -> 5 on Dec 11 runs Jan 5's
    debit on Dec 10); a weekend or holiday can move it to today."""
    if plan.status != AutopayPlan.Status.ACTIVE or period is None:
        return
    earliest = earliest_run_date(timezone.now(), plan.loan.lender)
    if period.run_date < earliest:
        raise AutopayError(
            f"The borrower's automatic payment of the installment due {period.key:%b %-d} would "
            f"run on {period.run_date:%a, %b %-d}, past the cut-off for changes; choose a "
            "later due day, or ask the borrower to pause autopay first."
        )


def _settled_installments(loan: Loan, on: dt.date) -> int:
    """Installments paid by money that cannot come back: a bank payment still at the bank
    (PENDING) can be returned R01 and unpay its installment, so it is left out (attacker
    review helper-74: counted, it let a change bring back a stopped retry's date, and the
    installment was never collected once the entry came back). Its whole amount is left out
    of what went to installments, and added back to what is owed: erring toward a refusal."""
    position = loan_position(loan, on)
    pending = Payment.objects.filter(loan=loan, status=Payment.Status.PENDING).aggregate(
        total=Sum("amount")
    )["total"]
    if pending:
        position = replace(
            position,
            paid_toward_installments=max(position.paid_toward_installments - pending, ZERO),
            payoff=position.payoff + pending,
        )
    return delinquency.covered_installments(contract_schedule(loan), position)


def _refuse_bringing_back_a_stopped_retry(plan: AutopayPlan, new_dues: list, covered: int) -> None:
    """A retry an earlier change stopped keeps its row, and so its key. A change that makes
    that key the due date of an unpaid installment among the plan's periods again (the due
    day moved and moved back) would have the plan step over it: the installment never
    collected (attacker review helper-70). Refused with the reason. Reviving the retry
    instead charged installments deferred or collected since (helper-72), so it is not
    done. An installment paid since (`covered`: the loan's paid installments) is no reason to
    refuse: before, a plan paused after it was paid refused the change for good (helper-73);
    `_settled_installments` leaves out money still at the bank (helper-74)."""
    unpaid = new_dues[covered:]  # any of them: the plan steps over a stopped retry's key
    stopped = plan.debits.filter(
        status=D.SKIPPED, reason__startswith=TERMS_CHANGED, period_key__in=unpaid
    )  # (helper-75: bounded by the plan's cursor, autopay's own entry still at the bank let
    # the change through; when it came back its installment was never collected)
    if key := stopped.values_list("period_key", flat=True).first():
        raise AutopayError(
            f"The borrower's automatic payment of the installment due {key:%b %-d} was "
            "stopped by an earlier change of these terms; this change would make that its "
            "due date again, and autopay could not collect it. Choose another due day."
        )


def _first_new_period(plan: AutopayPlan, key, old_dues: list, new_dues: list) -> dt.date:
    """The new due date of the installment that under the old schedule is `key` (a monthly
    plan's cursor, a biweekly plan's periods_from) or, `key` not one of them (none: ended with
    the old term, or never set), the one after the plan's last debit of an old due date.
    Past the new term's end: the day after its last due date, so no period is left."""
    if key in old_dues:
        index = old_dues.index(key)
    else:
        done = plan.debits.filter(period_key__in=old_dues).order_by("-period_key").first()
        index = old_dues.index(done.period_key) + 1 if done else 0
    if index < len(new_dues):
        return new_dues[index]
    return new_dues[-1] + dt.timedelta(days=1)


def _move_skips_ahead(plan: AutopayPlan, old_dues: list, new_dues: list, on: dt.date) -> None:
    """A borrower's skip of an installment whose debit has not run (selectors.skips_ahead) is
    re-keyed to that installment's new due date and run date: it never charged anything, and
    the borrower asked to skip the installment, not a date. One whose installment the plan no
    longer has (past a shortened term) is removed: there is nothing left to skip or to undo.
    Earlier skips are history and keep their dates. `periods_from` then starts at the first
    moved skip, so undoing one brings its installment back."""
    terms, lterms = plan_terms(plan), loan_terms(plan.loan)
    skips = list(skips_ahead(plan, on))
    if new_dues[:1] > old_dues[:1]:  # moving later: the latest first, so none lands on the
        skips.reverse()  # key of one not moved yet (an extension with two skips ahead)
    for skip in skips:
        index = old_dues.index(skip.period_key) if skip.period_key in old_dues else len(new_dues)
        period = None
        if index < len(new_dues):
            period = sched.next_period(terms, lterms, from_key=new_dues[index])
        if period is None or period.key != new_dues[index]:
            skip.delete()  # never charged: the plan's events keep the skip
            continue
        moving = [other.pk for other in skips]
        if plan.debits.filter(period_key=period.key).exclude(pk__in=moving).exists():
            # Another row holds that date (a retry an earlier change stopped): the plan steps
            # over it as the skip would, and `_refuse_bringing_back_a_stopped_retry` decides.
            # Before: an IntegrityError, a 500 (attacker review helper-73).
            skip.delete()
            continue
        skip.period_key, skip.run_date = period.key, period.run_date
        skip.save(update_fields=["period_key", "run_date"])
        plan.periods_from = min(plan.periods_from, period.key)


def autopay_skips_follow_terms(plan: AutopayPlan, *, today: dt.date) -> None:
    """The borrower's skips still ahead take their period's run date under the plan's new
    terms (autopay_change, the plan locked and its terms set): a skip is of an installment,
    and its undo's cut-off and the cursor it leaves are read from its row. One whose key is
    no period of the new schedule (monthly -> biweekly) skips nothing now and is removed.
    Before, a skip kept its old run date: undone after the new one had passed, its period
    was charged that night, before the date the undo's email named, and a cancel was refused
    "too close" (attacker review helper-67)."""
    terms, lterms = plan_terms(plan), loan_terms(plan.loan)
    for skip in skips_ahead(plan, today):
        period = sched.next_period(terms, lterms, from_key=skip.period_key)
        if period is None or period.key != skip.period_key:
            skip.delete()  # never charged: the plan's events keep the skip
        elif period.run_date != skip.run_date:
            skip.run_date = period.run_date
            skip.save(update_fields=["run_date"])


def autopay_return_of_a_moved_installment(*, debit_id: int, code: str, now: dt.datetime) -> bool:
    """A debit returned R01/R09 (outcomes.autopay_represent_returned) whose installment a
    term change moved while its entry was at the bank (`moved_to`, set by
    `_follow_entries_at_the_bank`) is not re-presented: it fails with the reason, and the
    plan's periods start at the installment's new due date, so autopay collects it then.
    Before, an extension's deferred installment was re-presented during the deferral, an NSF
    fee each time, and then never collected on its new date (attacker review helper-70).
    False, and nothing done, for a debit whose installment did not move: re-present it."""
    with transaction.atomic():
        plan_id, moved_to = AutopayDebit.objects.values_list("plan_id", "moved_to").get(pk=debit_id)
        if moved_to is None:
            return False
        plan = plan_for_update(plan_id)
        reason = f"returned {code}, not re-presented: {TERMS_CHANGED}"
        reason += f"this installment is now due {moved_to:%b %-d, %Y}"
        if plan.debits.filter(pk=debit_id, status=D.CHARGED).update(status=D.FAILED, reason=reason):
            plan.periods_from = min(plan.periods_from or moved_to, moved_to)
            cursor_at(plan, next_open_period(plan))
            plan.save(
                update_fields=["periods_from", "next_period_key", "next_run_date", "updated_at"]
            )
    return True
