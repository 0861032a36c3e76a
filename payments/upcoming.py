"""What is on the way for a loan: scheduled payments, payments held for a quick check and the
next autopay debit, and how much of the amount due they already cover. One rule, read by the
dashboard, the duplicate warning (services/submission.py) and the due-date reminder
(payments/reminders.py), so "nothing more to pay", "this looks like a second payment" and
"your payment is due" never disagree. A held payment has charged nothing yet but will be
made if staff approve it (payments/risk.py): counting it keeps a borrower from paying twice.
Only an owner's held payment counts: anyone with the loan number, ZIP and VIN can get a guest
payment held, and the owners would be told "nothing more to pay" about a payment whose
rejection reaches only its payer (the attacker review helper-70)."""

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Q

from ismartpay.core.money import ZERO
from ismartpay.core.templatetags.ui import usd
from ismartpay.core.today import business_date
from loans import delinquency
from loans.models import Loan, LoanLink
from loans.permissions import OWNER_ROLES
from loans.selectors import contract_schedule, loan_position

from .autopay.selectors import plan_upcoming
from .models import AutopayPlan, Payment
from .timing import counts_after_due, effective_date_for


@dataclass(frozen=True)
class Incoming:
    day: dt.date
    amount: Decimal
    autopay: bool
    reference: str = ""  # a scheduled or held payment's reference
    held: bool = False  # held for staff review: nothing charged until it is approved

    @property
    def state(self) -> str:
        """ "held for a quick check", or "scheduled for Dec 4"."""
        return "held for a quick check" if self.held else f"scheduled for {self.day:%b %-d}"

    @property
    def dated(self) -> str:
        """ "$483.32 for Dec 8", ", held for a quick check (nothing charged yet)" if held: a
        payment named by the day it is for (after the due date, its date is the point)."""
        held = ", held for a quick check (nothing charged yet)" if self.held else ""
        return f"{usd(self.amount)} for {self.day:%b %-d}{held}"

    @property
    def described(self) -> str:
        """ "$200.00 held for a quick check (nothing charged yet)", "$200.00 scheduled for …"."""
        return f"{usd(self.amount)} {self.state}" + (" (nothing charged yet)" if self.held else "")


@dataclass(frozen=True)
class OnTheWay:
    incoming: list[Incoming]  # soonest first
    amount_due: Decimal
    due_by: dt.date | None  # the due date the amount due is for
    covered: Decimal  # of amount_due, what arrives by due_by
    autopay: str = ""  # the status of the loan's live autopay plan, "" for none
    late_until: dt.date | None = None  # after_due's last day (late_window_end)
    due_date: dt.date | None = None  # the installment's due date, when before due_by (past due)
    # The day a payment made now counts, when that misses due_by (on_the_way_at: it knows now).
    paid_now_counts_on: dt.date | None = None

    @classmethod
    def of(
        cls,
        incoming: list[Incoming],
        amount_due: Decimal,
        due_by: dt.date | None,
        autopay="",
        *,
        late_until: dt.date | None = None,
        due_date: dt.date | None = None,
    ) -> "OnTheWay":
        """What `incoming` covers of `amount_due` by `due_by` (pure: the reminders' rule)."""
        items = sorted(incoming, key=lambda i: (i.day, i.autopay))
        arriving = sum((i.amount for i in items if due_by is None or i.day <= due_by), ZERO)
        covered = min(arriving, amount_due)
        return cls(items, amount_due, due_by, covered, autopay, late_until, due_date)

    @property
    def autopay_on(self) -> bool:
        """The loan has an active autopay plan (the dashboard's "On")."""
        return self.autopay == AutopayPlan.Status.ACTIVE

    @property
    def autopay_label(self) -> str:
        """The dashboard's word for the plan: "On", "Paused", "Off" (none); a plan suspended
        until the borrower authorizes it again: "Needs your authorization"."""
        if self.autopay == AutopayPlan.Status.SUSPENDED:
            return "Needs your authorization"
        return AutopayPlan.Status(self.autopay).label if self.autopay else "Off"

    @property
    def listed(self) -> list[Incoming]:
        """The incoming payments to list under `message`: none when it already says the only
        one, an autopay debit (before, "Autopay will debit $483.32 on Dec 4" was followed by
        "Next autopay debit: $483.32 on Dec 4"). A scheduled payment stays: its line links
        to it, where it can be cancelled."""
        only = self.incoming[0] if len(self.incoming) == 1 else None
        return [] if self.message and only and only.autopay else self.incoming

    @property
    def fully_covered(self) -> bool:
        return self.amount_due > 0 and self.covered >= self.amount_due

    @property
    def left_to_pay(self) -> Decimal:
        return max(self.amount_due - self.covered, ZERO)

    @property
    def by_due(self) -> list[Incoming]:
        """What arrives by the due date, soonest first."""
        return [i for i in self.incoming if self.due_by is None or i.day <= self.due_by]

    @property
    def after_due(self) -> list[Incoming]:
        """Payments scheduled (or held) for a day after the due date, not nearer the next
        installment's (`late_until`): meant for this one, they arrive late (the reminder names
        them; paying now is asked about). One nearer the next due date is for that installment
        (Jan 4 for Jan 5, not a late Dec 5). None without a window (the past-due reminder)."""
        if self.due_by is None or self.late_until is None:
            return []
        due_by, until = self.due_by, self.late_until
        return [i for i in self.incoming if due_by < i.day <= until and not i.autopay]

    @property
    def message(self) -> str:
        """ "$483.32 scheduled for Dec 4 — nothing more to pay", or what is still left."""
        by_due = self.by_due
        if not by_due or not self.amount_due:
            return ""
        what = _what(by_due)
        if self.fully_covered:  # a held one's approval is not certain: say so
            return f"{what} — {'if approved, ' if self.has_held else ''}nothing more to pay"
        return f"{what} — {usd(self.left_to_pay)} left to pay by {self.due_by:%b %-d}"

    @property
    def has_held(self) -> bool:
        """A payment held for a quick check arrives by the due date."""
        return any(i.held for i in self.by_due)


def _what(items: list[Incoming]) -> str:
    """What is on the way, each kind in its own words: "Autopay will debit $483.32 on Dec 4";
    "$200.00 scheduled for Dec 5 and $160.00 held for a quick check (nothing charged yet)";
    "$414.00 in 2 payments held for a quick check (…)". Before, several payments were all
    "scheduled for" the first one's date, held ones included (the new-user review helper-71)."""
    if len(items) == 1 and items[0].autopay:
        return f"Autopay will debit {usd(items[0].amount)} on {items[0].day:%b %-d}"
    parts = []
    for kind in (
        [i for i in items if not i.autopay and not i.held],
        [i for i in items if i.held],
        [i for i in items if i.autopay],
    ):
        if len(kind) == 1:
            first = kind[0]
            parts.append(
                f"autopay's {usd(first.amount)} on {first.day:%b %-d}"
                if first.autopay
                else first.described
            )
        elif kind:
            total = usd(sum((i.amount for i in kind), ZERO))
            state = "held for a quick check (nothing charged yet)"
            if not kind[0].held:
                state = f"scheduled from {kind[0].day:%b %-d}"
            parts.append(f"{total} in {len(kind)} payments {state}")
    return " and ".join(parts)


def late_window_end(schedule: delinquency.ContractSchedule, due: dt.date) -> dt.date:
    """The last day a payment dated after `due` is nearer it than the next installment's due
    date (a month on, after the last installment): meant for the installment due on `due`.
    From the schedule, so a Feb 28 due date is followed by Mar 31 when the due day is 31."""
    number = schedule.due_count(due)
    if number < schedule.term_months:
        following = schedule.due_date(number + 1)
    else:
        following = due + relativedelta(months=1)
    return due + (following - due) / 2  # a date: the half day is dropped


def _way(loan: Loan, incoming: list[Incoming], autopay: str, today: dt.date) -> OnTheWay:
    """The loan's OnTheWay on `today`, from one read of its schedule and position: the amount
    due as of today (the dashboard's, loans.selectors.loan_summary), by the next due date
    (today when it is past, with the due date itself kept for the wording) and the late window
    after it."""
    schedule, position = contract_schedule(loan), loan_position(loan, today)
    amount_due = delinquency.amount_due_now(schedule, position, today)
    next_due = delinquency.next_payment_due_date(schedule, position)
    if next_due is None:
        return OnTheWay.of(incoming, amount_due, None, autopay)
    due_by = max(next_due, today)
    return OnTheWay.of(
        incoming,
        amount_due,
        due_by,
        autopay,
        late_until=late_window_end(schedule, due_by),
        due_date=next_due if next_due < today else None,
    )


def payments_on_the_way(ids: list[int], *, today: dt.date) -> dict[int, list[Incoming]]:
    """{loan id: [Incoming]} of the scheduled payments still ahead and the owners' payments
    held for a quick check (dated their chosen day, today at the earliest) of loans `ids`: one
    query (two when one is held).
    Six columns, not the payment's forty: read on every dashboard (issue 15 goal 1)."""
    incoming: dict[int, list[Incoming]] = {pk: [] for pk in ids}
    S = Payment.Status
    rows = Payment.objects.filter(
        Q(status=S.SCHEDULED, scheduled_for__gte=today) | Q(status=S.HELD), loan_id__in=ids
    ).order_by("scheduled_for", "pk")
    rows = list(
        rows.values_list("loan_id", "status", "scheduled_for", "amount", "reference", "payer_id")
    )
    owners = _owners_of_held(rows)
    for loan_id, status, day, amount, reference, payer_id in rows:
        held = status == S.HELD
        if held and (loan_id, payer_id) not in owners:
            continue  # a guest's (or a third party's) held payment: not the owners' to count
        incoming[loan_id].append(Incoming(max(day, today), amount, False, reference, held))
    return incoming


def _owners_of_held(rows: list[tuple]) -> set[tuple[int, int]]:
    """{(loan id, owner's user id)} of the loans with a held payment among `rows`: a second
    statement only when one is held (rarely), not an EXISTS on every dashboard's read (it
    cost ≈ 0.9 ms a page here, bench/README)."""
    held = {row[0] for row in rows if row[1] == Payment.Status.HELD}
    if not held:
        return set()
    links = LoanLink.objects.filter(loan_id__in=held, role__in=OWNER_ROLES)
    return set(links.values_list("loan_id", "user_id"))


def on_the_way(loans: list[Loan], *, today: dt.date) -> dict[int, OnTheWay]:
    """{loan id: OnTheWay} for `loans` (two queries whatever their number), with whether each
    has an active autopay plan (read here anyway, so the dashboard asks no third time)."""
    ids = [loan.pk for loan in loans]
    incoming = payments_on_the_way(ids, today=today)
    plans = AutopayPlan.objects.filter(loan_id__in=ids, status__in=AutopayPlan.LIVE_STATUSES)
    by_pk = {loan.pk: loan for loan in loans}
    autopay: dict[int, str] = {}
    for plan in plans:
        loan = by_pk[plan.loan_id]
        autopay[loan.pk] = plan.status
        debits = plan_upcoming(plan, today=today, count=1, loan=loan)  # none unless active
        if debits:
            incoming[loan.pk].append(Incoming(debits[0].run_date, debits[0].amount, True))
    return {
        loan.pk: _way(loan, incoming[loan.pk], autopay.get(loan.pk, ""), today) for loan in loans
    }


def on_the_way_at(loans: list[Loan], *, now: dt.datetime) -> dict[int, OnTheWay]:
    """`on_the_way` with each loan as of its lender's business date at `now` (the dashboard:
    loans of lenders in other time zones are on other days around midnight): two queries a
    date, one date but around midnight."""
    by_day: dict[dt.date, list[Loan]] = {}
    for loan in loans:
        by_day.setdefault(business_date(loan.lender, now), []).append(loan)
    ways: dict[int, OnTheWay] = {}
    for day, group in by_day.items():
        on_day = on_the_way(group, today=day)
        for loan in group:
            ways[loan.pk] = _with_paid_now(on_day[loan.pk], loan, day, now)
    return ways


def _with_paid_now(way: OnTheWay, loan: Loan, today: dt.date, now: dt.datetime) -> OnTheWay:
    """`way` with the day a payment made now counts, when something is left to pay by a due
    date that payment would miss (after the cut-off on the due date, a weekend before it):
    the pages said "Amount due by Dec 5" at 10:30 PM on Saturday Dec 5 and nothing more (the
    new-user review helper-81)."""
    lender = loan.lender
    counts_on = effective_date_for(now=now, lender_tz=lender.timezone, cutoff=lender.cutoff_time)
    ahead = way.due_by if way.due_date is None else None  # a past due date is said as such
    if way.left_to_pay and counts_after_due(ahead, today, counts_on):
        return dataclasses.replace(way, paid_now_counts_on=counts_on)
    return way


def second_payment_question(loan: Loan, *, today: dt.date, amount: Decimal) -> str:
    """The duplicate warning's question (services/submission.py), or "": a payment of `amount`
    now may be a second one when something is on the way for the loan's next due date and
    `amount` is more than what that leaves to pay. Paying "the rest" the dashboard names is
    not asked about (before, it was: the new-user review helper-71)."""
    way = on_the_way([loan], today=today)[loan.pk]
    by_due = way.by_due
    late, cancel = _late(way)
    if not by_due or amount <= way.left_to_pay:
        return f"{late[0].upper()}{late[1:]}. Is this a second payment? {cancel}" if late else ""
    if len(by_due) > 1:
        what = f"On the way for this due date: {_what(by_due)}"
    else:
        item = by_due[0]
        what = _what(by_due)  # "Autopay will debit $483.32 on Dec 4"
        if not item.autopay:
            what = f"A payment of {usd(item.amount)} is {item.state}"
            what += " (nothing charged yet)" if item.held else ""
        what += " for this due date"
    if late:  # named too: answering "yes" would let it be charged as well (helper-78)
        return f"{what}, and {late}. Is this a second payment? {cancel}"
    return f"{what}. Is this a second payment?"


def _late(way: OnTheWay) -> tuple[str, str]:
    """What is scheduled after the due date, and what to do if paying now ("", "" for none):
    that one is charged as well unless cancelled (the new-user review helper-77: the reminder
    said "pay on time and cancel it", and the pay form let the second payment through). Whoever
    scheduled it can cancel it; an owner cannot cancel a third party's (helper-78)."""
    late = way.after_due
    if not late:
        return "", ""
    due = f"after the {way.due_by:%b %-d} due date"
    if way.due_date is not None:  # past due: due_by is today
        due = f"while the {way.due_date:%b %-d} payment is past due"
    if len(late) == 1:
        item = late[0]
        state = f"held for a quick check for {item.day:%b %-d}" if item.held else item.state
        return (
            f"a payment of {usd(item.amount)} is {state}, {due}",
            "If you pay now, cancel that one (or ask whoever scheduled it to) so it is not "
            "charged as well.",
        )
    return (
        f"payments are scheduled {due} ({'; '.join(i.dated for i in late)})",
        "If you pay now, cancel those you no longer need (or ask whoever scheduled them to) so "
        "they are not charged as well.",
    )
