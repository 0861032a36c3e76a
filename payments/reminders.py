"""The reminder and notice rules the nightly jobs apply (payments/jobs.py runs them, once per
business date, under a JobRun): due-date and autopay reminders, past-due notices, late-fee
notices, and Regulation E's notice of a changed autopay amount (12 CFR 1005.10(d): at least
10 days before the debit). Each notice is sent once: its dedupe key is unique per loan, kind,
date and recipient (payments/notifications.py)."""

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse

from accounts.models import User
from loans import delinquency, flags
from loans.models import Loan, LoanLink
from loans.permissions import OWNER_ROLES
from loans.selectors import contract_schedule, loan_position

from .autopay.selectors import amount_for_period, loan_terms, plan_terms
from .models import AutopayAmountNotice, AutopayPlan
from .notices_batch import Draft
from .notifications import notice_send
from .timing import pay_by_deadline, time_words
from .upcoming import OnTheWay, late_window_end, payments_on_the_way

AMOUNT_NOTICE_DAYS = (10, 14)  # Reg E: announce a changed amount 10–14 days before the debit
DEFAULT_REMIND_DAYS = 3  # days before the due date, for a user without a profile


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


@dataclass(frozen=True)
class Owner:
    """One owner of a loan as the reminders need them (from a LoanLink and the user's profile:
    no profile means email reminders on, 3 days before)."""

    user_id: int
    email: str
    remind_by_email: bool = True
    remind_days_before: int = DEFAULT_REMIND_DAYS

    @classmethod
    def of(cls, user) -> "Owner":
        profile = _profile(user)
        if profile is None:
            return cls(user.pk, user.email)
        return cls(user.pk, user.email, profile.remind_by_email, profile.remind_days_before)


def remind_loan(loan: Loan, plan: AutopayPlan | None, on: dt.date, periods=()) -> int:
    """One loan's reminders, written and sent now (the nightly run batches `loan_reminders`)."""
    owners = [Owner.of(link.user) for link in owner_links(loan)]
    incoming = payments_on_the_way([loan.pk], today=on)[loan.pk]
    drafts = loan_reminders(loan, owners, plan, on, periods, incoming)
    return sum(
        notice_send(
            kind=d.kind,
            dedupe_key=d.dedupe_key,
            to=d.to,
            subject=d.subject,
            template=d.template,
            context=d.context,
            user=User(pk=d.user_id),
        )
        for d in drafts
    )


def loan_reminders(
    loan: Loan,
    owners: list[Owner],
    plan: AutopayPlan | None,
    on: dt.date,
    periods=(),
    incoming=(),
) -> list[Draft]:
    """The reminders one loan's owners are owed on `on` (pure: the loan row, its owners, its
    active plan, its flag periods and the payments on the way (payments/upcoming.py) in; no
    query). Account flags (loans/flags.py) stop all, or the past-due ones. A scheduled or held
    payment covering the amount due gets a heads-up instead of "Pay now"; a smaller one is
    named, and the reminder asks for the rest. Each draft's key is unique per loan, kind, date
    and recipient."""
    schedule = contract_schedule(loan)
    position = loan_position(loan, on)
    if position.payoff == 0 or flags.notices_paused(periods, on):
        return []
    if flags.autopay_paused(periods, on):
        plan = None  # no debit will be taken: the borrower gets the plain due reminder
    oldest = delinquency.oldest_unpaid_due_date(schedule, position, on)
    if oldest is not None and oldest < on:
        if flags.collection_notices_paused(periods, on):
            return []  # hardship, bankruptcy: no past-due notice
        past_due = delinquency.amount_due_now(schedule, position, on)
        way = OnTheWay.of(list(incoming), past_due, on)  # what arrives by today
        return [_past_due(loan, owner, way, oldest, on) for owner in owners]
    next_due = delinquency.next_payment_due_date(schedule, position)
    if next_due is None:
        return []
    autopay = plan is not None and plan.next_run_date is not None and plan.next_run_date <= next_due
    way = None  # the same for every owner: worked out once, for the first owner in the window
    drafts = []
    for owner in owners:
        if not owner.remind_by_email or not 0 < (next_due - on).days <= owner.remind_days_before:
            continue  # not yet in the window (a missed run still sends it once, later)
        if autopay:
            drafts.append(_autopay_will_debit(loan, owner, plan, next_due, on))
            continue
        if way is None:
            amount = delinquency.amount_due_now(schedule, position, next_due)
            late_until = late_window_end(schedule, next_due)
            way = OnTheWay.of(list(incoming), amount, next_due, late_until=late_until)
        drafts.append(
            _on_the_way(loan, owner, way, on) if way.fully_covered else _due(loan, owner, way, on)
        )
    return drafts


def _due(loan, owner: Owner, way: OnTheWay, on: dt.date) -> Draft:
    """ "Your payment of $283.32 is due Dec 5", naming what is already on the way."""
    left, next_due = way.left_to_pay, way.due_by
    return Draft(
        kind="reminder_due",
        dedupe_key=f"reminder:{loan.pk}:due:{next_due}:{owner.user_id}",
        to=owner.email,
        user_id=owner.user_id,
        subject=f"Your payment of ${left:,} is due {next_due:%b %-d}",
        template="payments/email/reminder_due.txt",
        context={
            "loan": loan,
            "amount": left,
            "due_date": next_due,
            "on_the_way": way.message,
            "after_due": _linked(way.after_due),
            **_pay_by(loan, next_due, on),
            "pay_path": reverse("payments:pay", args=[loan.pk]),
        },
    )


def _on_the_way(loan, owner: Owner, way: OnTheWay, on: dt.date) -> Draft:
    """What is on the way covers the amount due: a heads-up with a link to the payment, no
    "Pay now" (before, a borrower whose payment was scheduled or held for a quick check was
    asked to pay again). Its own key: cancelled later in the window, the due reminder
    follows the next night."""
    by_due = way.by_due
    first = by_due[0]
    subject = (  # "a", not "your": a co-borrower's payment counts too
        f"A payment of ${first.amount:,} is {first.state}"
        if len(by_due) == 1
        else f"Payments for your {way.due_by:%b %-d} due date are on the way"
    )
    return Draft(
        kind="reminder_on_the_way",
        dedupe_key=f"reminder:{loan.pk}:on_the_way:{way.due_by}:{owner.user_id}",
        to=owner.email,
        user_id=owner.user_id,
        subject=subject,
        template="payments/email/reminder_on_the_way.txt",
        context={
            "loan": loan,
            "on_the_way": _linked(by_due),
            "after_due": _linked(way.after_due),  # a second payment, likely
            "amount_due": way.amount_due,
            "due_date": way.due_by,
            "today": on,
        },
    )


def _pay_by(loan, due: dt.date, on: dt.date) -> dict:
    """The latest a payment counts on `due`: its business day, before the lender's cut-off in
    the lender's own zone (a Saturday's payment counts Monday: the new-user review helper-77;
    "ET" for a lender elsewhere: helper-78). None when that day is before `on` (a reminder sent
    on a Saturday for a Sunday due date)."""
    deadline = pay_by_deadline(due, loan.lender)
    if deadline.date() < on:
        return {"pay_by": None}
    return {"pay_by": deadline.date(), "cutoff": time_words(deadline)}


def _linked(items) -> list[tuple]:
    """(payment, the path of its page, where it can be cancelled) for a reminder's list."""
    return [(item, reverse("payments:detail", args=[item.reference])) for item in items]


def _past_due(loan, owner: Owner, way: OnTheWay, oldest: dt.date, on: dt.date) -> Draft:
    return Draft(
        kind="reminder_past_due",
        dedupe_key=f"reminder:{loan.pk}:past_due:{oldest}:{owner.user_id}",
        to=owner.email,
        user_id=owner.user_id,
        subject="Your loan payment is past due",
        template="payments/email/reminder_past_due.txt",
        context={
            "loan": loan,
            "due_date": oldest,
            "pay_path": reverse("payments:pay", args=[loan.pk]),
            "amount": way.amount_due,
            "days": (on - oldest).days,
            "on_the_way": way.message,  # a payment held for a quick check, named
        },
    )


def _autopay_will_debit(loan, owner: Owner, plan, next_due: dt.date, on: dt.date) -> Draft:
    from .autopay import schedule as sched

    period = sched.next_period(
        plan_terms(plan),
        loan_terms(loan),
        not_before=plan.next_run_date,
        from_key=plan.next_period_key,
    )
    amount = amount_for_period(plan_terms(plan), loan, period, on=on)
    return Draft(
        kind="reminder_autopay",
        dedupe_key=f"reminder:{loan.pk}:autopay:{next_due}:{owner.user_id}",
        to=owner.email,
        user_id=owner.user_id,
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
