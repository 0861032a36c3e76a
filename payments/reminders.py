"""The reminder and notice rules the nightly jobs apply (payments/jobs.py runs them, once per
business date, under a JobRun): due-date and autopay reminders, past-due notices, late-fee
notices, and Regulation E's notice of a changed autopay amount (12 CFR 1005.10(d): at least
10 days before the debit). Each notice is sent once: its dedupe key is unique per loan, kind,
date and recipient (payments/notifications.py)."""

import datetime as dt

from django.urls import reverse

from loans import delinquency, flags
from loans.models import Loan, LoanLink
from loans.permissions import OWNER_ROLES
from loans.selectors import contract_schedule, loan_position

from .autopay.selectors import amount_for_period, loan_terms, plan_terms
from .models import AutopayAmountNotice, AutopayPlan
from .notifications import notice_send

AMOUNT_NOTICE_DAYS = (10, 14)  # Reg E: announce a changed amount 10–14 days before the debit


def owner_links(loan: Loan):
    return LoanLink.objects.filter(loan=loan, role__in=OWNER_ROLES).select_related("user__profile")


def _profile(user):
    return getattr(user, "profile", None)


def late_fee_notice(loan_id: int, posting) -> None:
    """Tell the owners, naming the fee's date (the run's business date) and the installment."""
    loan = Loan.objects.select_related("lender").get(pk=loan_id)
    due = contract_schedule(loan).due_date(posting.installment_number)
    for link in owner_links(loan):
        notice_send(
            kind="reminder_late_fee",
            dedupe_key=f"reminder:{loan.pk}:late_fee:{posting.installment_number}:{link.user_id}",
            to=link.user.email,
            subject="A late fee was added to your loan",
            template="payments/email/reminder_late_fee.txt",
            context={
                "loan": loan,
                "fee": -posting.fees,
                "assessed_on": posting.effective_date,
                "due_date": due,
                "grace_days": loan.lender.grace_days,
                "pay_path": reverse("payments:pay", args=[loan.pk]),
            },
        )


def remind_loan(loan: Loan, plan: AutopayPlan | None, on: dt.date, periods=()) -> int:
    """One loan's reminders; account flags (loans/flags.py) stop all, or the past-due ones."""
    schedule = contract_schedule(loan)
    position = loan_position(loan, on)
    if position.payoff == 0 or flags.notices_paused(periods, on):
        return 0
    if flags.autopay_paused(periods, on):
        plan = None  # no debit will be taken: the borrower gets the plain due reminder
    sent = 0
    pay_path = reverse("payments:pay", args=[loan.pk])
    oldest = delinquency.oldest_unpaid_due_date(schedule, position, on)
    next_due = delinquency.next_payment_due_date(schedule, position)
    for link in owner_links(loan):
        user, profile = link.user, _profile(link.user)
        if oldest is not None and oldest < on:
            if flags.collection_notices_paused(periods, on):
                continue  # hardship, bankruptcy: no past-due notice
            sent += notice_send(
                kind="reminder_past_due",
                dedupe_key=f"reminder:{loan.pk}:past_due:{oldest}:{user.pk}",
                to=user.email,
                subject="Your loan payment is past due",
                template="payments/email/reminder_past_due.txt",
                context={
                    "loan": loan,
                    "due_date": oldest,
                    "pay_path": pay_path,
                    "amount": delinquency.amount_due_now(schedule, position, on),
                    "days": (on - oldest).days,
                },
            )
            continue
        if profile is not None and not profile.remind_by_email:
            continue
        days = profile.remind_days_before if profile is not None else 3
        if next_due is None or not 0 < (next_due - on).days <= days:
            continue  # not yet in the window (a missed run still sends it once, later)
        covered = (
            plan is not None and plan.next_run_date is not None and (plan.next_run_date <= next_due)
        )
        if covered:
            from .autopay import schedule as sched

            period = sched.next_period(
                plan_terms(plan),
                loan_terms(loan),
                not_before=plan.next_run_date,
                from_key=plan.next_period_key,
            )
            amount = amount_for_period(plan_terms(plan), loan, period, on=on)
            sent += notice_send(
                kind="reminder_autopay",
                dedupe_key=f"reminder:{loan.pk}:autopay:{next_due}:{user.pk}",
                to=user.email,
                subject=f"Autopay will debit ${amount:,} on {period.run_date:%b %-d}",
                template="payments/email/reminder_autopay.txt",
                context={
                    "loan": loan,
                    "amount": amount,
                    "run_date": period.run_date,
                    "method": plan.method.label,
                    "due_date": next_due,
                    "manage_path": reverse("payments:autopay_manage", args=[plan.pk]),
                },
            )
        else:
            amount = delinquency.amount_due_now(schedule, position, next_due)
            sent += notice_send(
                kind="reminder_due",
                dedupe_key=f"reminder:{loan.pk}:due:{next_due}:{user.pk}",
                to=user.email,
                subject=f"Your payment of ${amount:,} is due {next_due:%b %-d}",
                template="payments/email/reminder_due.txt",
                context={
                    "loan": loan,
                    "amount": amount,
                    "due_date": next_due,
                    "pay_path": pay_path,
                },
            )
    return sent


def amount_change_notices(on: dt.date, plans) -> int:
    """Regulation E: when the next debit's amount differs from the previous one, tell the
    borrower 10–14 days before its run date (and remember it: the charge checks)."""
    from .autopay import schedule as sched

    sent = 0
    low, high = (on + dt.timedelta(days=d) for d in AMOUNT_NOTICE_DAYS)
    for plan in plans:
        if plan.last_amount is None or plan.next_run_date is None:
            continue
        if not low <= plan.next_run_date <= high:
            continue
        period = sched.Period(plan.next_period_key, plan.next_run_date)
        amount = amount_for_period(plan_terms(plan), plan.loan, period, on=on)
        if amount <= 0 or amount == plan.last_amount:
            continue
        AutopayAmountNotice.objects.get_or_create(
            plan=plan, period_key=period.key, amount=amount, defaults={"noticed_on": on}
        )
        sent += notice_send(
            kind="autopay_amount_change",
            dedupe_key=f"autopay:{plan.pk}:amount:{period.key}:{amount}",
            to=plan.owner.email,
            subject=f"Your next autopay amount is ${amount:,}",
            template="payments/email/autopay_amount_change.txt",
            context={
                "plan": plan,
                "loan": plan.loan,
                "amount": amount,
                "previous": plan.last_amount,
                "run_date": period.run_date,
                "manage_path": reverse("payments:autopay_manage", args=[plan.pk]),
            },
        )
    return sent
