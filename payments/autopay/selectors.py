"""Reads for autopay pages, the dashboard and the nightly jobs."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F

from ismartpay.core.errors import NotFound
from ismartpay.core.money import ZERO
from loans import delinquency
from loans.models import Loan
from loans.permissions import can_manage_autopay
from loans.selectors import contract_schedule, loan_position

from ..models import AutopayDebit, AutopayPlan
from . import schedule as sched


def plan_get_for_user(user, plan_id) -> AutopayPlan:
    """The plan if `user` may manage its loan's autopay (an owner: loans.permissions), else 404.

    A third party, even one who may pay, gets 404 like a stranger: the plan is the owner's
    authorization, not theirs to read or change (issue 9, rule Roles)."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound
    try:
        pk = int(plan_id)
    except (TypeError, ValueError):
        raise NotFound from None
    plan = (
        AutopayPlan.objects.filter(pk=pk, loan__links__user=user)
        .select_related("loan__lender", "method", "owner")
        .annotate(link_role=F("loan__links__role"))
        .first()
    )
    if plan is None or not can_manage_autopay(plan.link_role):
        raise NotFound
    return plan


def live_plan_for_loan(loan: Loan) -> AutopayPlan | None:
    return (
        AutopayPlan.objects.filter(loan=loan, status__in=AutopayPlan.LIVE_STATUSES)
        .select_related("method", "loan__lender")
        .first()
    )


def loan_terms(loan: Loan) -> sched.LoanTerms:
    """The loan's contract schedule (loans.selectors.contract_schedule: one builder)."""
    return contract_schedule(loan)


def plan_terms(plan: AutopayPlan) -> sched.PlanTerms:
    return sched.PlanTerms(
        schedule=plan.schedule,
        amount_rule=plan.amount_rule,
        start_date=plan.start_date,
        end_date=plan.end_date,
        day_of_month=plan.day_of_month,
        fixed_amount=plan.fixed_amount,
        extra_amount=plan.extra_amount,
    )


def amount_for_period(
    terms: sched.PlanTerms, loan: Loan, period: sched.Period, *, on: dt.date
) -> Decimal:
    """The debit's amount if it were taken on `on`: the rule's amount from the loan as it is
    now (amount due as of the period's due date), capped at the payoff on `on`."""
    return amount_and_payoff_for_period(terms, loan, period, on=on)[0]


def amount_and_payoff_for_period(
    terms: sched.PlanTerms, loan: Loan, period: sched.Period, *, on: dt.date
) -> tuple[Decimal, Decimal]:
    """`amount_for_period` and the payoff on `on` it was capped at."""
    position = loan_position(loan, on)
    if position.payoff == 0:
        return ZERO, ZERO
    due_on = period.key if terms.schedule != sched.BIWEEKLY else on
    amount_due = delinquency.amount_due_now(contract_schedule(loan), position, due_on)
    amount = sched.debit_amount(
        terms, installment=loan.installment_amount, amount_due=amount_due, payoff=position.payoff
    )
    return amount, position.payoff


@dataclass(frozen=True)
class ProjectedDebit:
    period_key: dt.date
    run_date: dt.date
    amount: Decimal
    is_final: bool = False


def project_debits(
    terms: sched.PlanTerms,
    loan: Loan,
    *,
    today: dt.date,
    not_before: dt.date,
    count: int = 3,
    from_key: dt.date | None = None,
    skip: frozenset[dt.date] = frozenset(),
) -> list[ProjectedDebit]:
    """The next `count` debits from period `from_key` on, leaving out the periods in `skip`,
    assuming each earlier one is paid. The amount due then is the installment; the payoff
    shrinks by each projected debit (interest after today is not projected, so a final payment
    is an estimate until its day). Stops at payoff."""
    position = loan_position(loan, today)
    remaining = position.payoff
    schedule = contract_schedule(loan)
    out: list[ProjectedDebit] = []
    for index, period in enumerate(sched.periods(terms, loan_terms(loan), from_key=from_key)):
        if period.run_date < not_before or period.key in skip:
            continue
        if remaining <= 0 or len(out) >= count:
            break
        if index == 0 or not out:
            due = delinquency.amount_due_now(schedule, position, max(period.key, today))
        else:
            due = loan.installment_amount
        amount = sched.debit_amount(
            terms, installment=loan.installment_amount, amount_due=due, payoff=remaining
        )
        if amount <= 0:
            continue
        remaining -= amount
        out.append(ProjectedDebit(period.key, period.run_date, amount, is_final=remaining <= 0))
    return out


def plan_upcoming(
    plan: AutopayPlan, *, today: dt.date, count: int, loan: Loan | None = None
) -> list[ProjectedDebit]:
    """The plan's next `count` debits as the borrower is shown them (manage page, dashboard,
    calendar feed): from its cursor, the next open period (next_open_period), leaving out the
    periods a skip already holds. None unless the plan is active. `loan`: plan.loan, when the
    caller has it. One statement for `count` > 1, none for 1 (the cursor's period is open)."""
    if plan.status != AutopayPlan.Status.ACTIVE or plan.next_period_key is None:
        return []
    skip = frozenset()
    if count > 1:
        later = plan.debits.filter(period_key__gt=plan.next_period_key)
        skip = frozenset(later.values_list("period_key", flat=True))
    return project_debits(
        plan_terms(plan),
        loan or plan.loan,
        today=today,
        not_before=max(plan.charge_from, today),
        count=count,
        from_key=plan.next_period_key,
        skip=skip,
    )


def debits_for_plan(plan: AutopayPlan, limit: int = 12):
    return (
        AutopayDebit.objects.filter(plan=plan)
        .select_related("payment")
        .order_by("-period_key")[:limit]
    )


def periods_start(plan: AutopayPlan, schedule: str) -> dt.date | None:
    """Where the plan's periods start on `schedule` (its own, or one a change would give it):
    its `periods_from` when monthly; None (the schedule's beginning) when biweekly — biweekly
    periods do not follow due dates, so a due-day change leaves them where they are."""
    return None if schedule == sched.BIWEEKLY else plan.periods_from


def next_open_period(plan: AutopayPlan) -> sched.Period | None:
    """The next period to charge: the first of the loan's current schedule (from
    `periods_from`, for a monthly plan) with a run date on or after `charge_from` and no debit
    row. The one rule for the plan's cursor, "skip the next payment" and the cut-off guard;
    undoing a skip deletes its row, so that period is next again."""
    terms, lterms = plan_terms(plan), loan_terms(plan.loan)
    done = set(plan.debits.values_list("period_key", flat=True))
    for period in sched.periods(terms, lterms, from_key=periods_start(plan, plan.schedule)):
        if period.run_date < plan.charge_from or period.key in done:
            continue
        return period
    return None


BORROWER_SKIP = "skipped by the borrower"  # the reason of a SKIPPED row "skip" made


def skips_ahead(plan: AutopayPlan, today: dt.date):
    """The borrower's skips of debits that have not run yet (`run_date` today or later),
    earliest first."""
    return plan.debits.filter(
        status=AutopayDebit.Status.SKIPPED, reason=BORROWER_SKIP, run_date__gte=today
    ).order_by("run_date")
