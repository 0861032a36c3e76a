"""When staff change a loan's due day or term, its autopay plans' cursors move with it.

A monthly plan's periods are keyed by the contract's due dates. The plan's next period
(`next_period_key`) is installment k of the old schedule; after the change it is installment k
of the new one, so a period already debited is never debited again under its new date and
none is skipped. Biweekly plans do not follow due dates (their cursor stays).
Called by loans.servicing inside its transaction, with the loan locked.
"""

from loans.delinquency import ContractSchedule
from loans.models import Loan

from ..models import AutopayDebit, AutopayPlan
from . import schedule as sched
from .selectors import loan_terms, plan_terms
from .services import AutopayError

D = AutopayDebit.Status
OPEN_DEBITS = (D.DUE, D.CLAIMED, D.SUBMITTING, D.WAITING)  # made for the old date


def autopay_loan_terms_changed(*, loan: Loan, old_schedule: ContractSchedule) -> list[dict]:
    """Recompute every live monthly plan's next period and run date for `loan`'s new terms.

    Refused (AutopayError) while a debit of the loan is scheduled or in flight: it was made
    for the old date, so staff retry after it. Returns [{"plan", "next_run_date"}] changed.
    """
    plans = list(
        AutopayPlan.objects.select_for_update()
        .filter(loan=loan, status__in=AutopayPlan.LIVE_STATUSES)
        .exclude(schedule=sched.BIWEEKLY)
        .order_by("pk")
    )
    if AutopayDebit.objects.filter(plan__in=plans, status__in=OPEN_DEBITS).exists():
        raise AutopayError(
            "An automatic payment of this loan is scheduled or being processed; "
            "change its terms after it is made."
        )
    old_dues = list(sched.contract_due_dates(old_schedule))
    new_terms = loan_terms(loan)
    new_dues = list(sched.contract_due_dates(new_terms))
    changed = []
    for plan in plans:
        if plan.next_period_key in old_dues:
            index = old_dues.index(plan.next_period_key)
            from_key = new_dues[index] if index < len(new_dues) else None
        else:  # no next period (ended with the old term) or never set: from the last debit
            done = plan.debits.filter(period_key__in=old_dues).order_by("-period_key").first()
            index = old_dues.index(done.period_key) + 1 if done else 0
            from_key = new_dues[index] if index < len(new_dues) else None
        period = None
        if from_key is not None:
            period = sched.next_period(
                plan_terms(plan), new_terms, from_key=from_key, not_before=plan.charge_from
            )
        plan.next_period_key = period.key if period else None
        plan.next_run_date = period.run_date if period else None
        plan.save(update_fields=["next_period_key", "next_run_date", "updated_at"])
        changed.append({"plan": plan.pk, "next_run_date": str(plan.next_run_date)})
    return changed
