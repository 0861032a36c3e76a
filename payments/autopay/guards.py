"""Who may change an autopay plan, and until when: the checks every borrower change runs before
it touches the plan (payments/autopay/services.py).

Only an owner of the loan (borrower or co-borrower) may enrol, change, pause, resume, skip or
cancel: the plan is the owner's standing authorization (Regulation E, 12 CFR 1005.10(b)), so a
third party, even one who may pay, is refused whatever the page did
(loans.permissions.can_manage_autopay).

Cut-off window: a debit can be changed, paused, skipped or cancelled until the lender's cut-off
time on the business day before its run date (the rule: payments.timing.change_deadline). After
that the nightly run may already have it, so the change is refused with the reason. That window
is shorter than Regulation E's 3 business days, so a cancel made 3 business days before a debit
always stops it.

The standing mandate (`mandate_stopped`): an autopay debit is charged only while its plan is
ACTIVE and no account flag pauses autopay on the day (loans/flags.py `autopay_paused`). A fresh
debit is skipped for it (engine.autopay_charge_debit, batch._decide); a debit sent again by
recovery is refused by the charge gate for it (services/gate.py `autopay_refusal`) and then
skipped with the same reason (outcomes._finish_cancelled).
"""

import datetime as dt

from ismartpay.core.arrays import any_of
from loans import flags
from loans.permissions import can_manage_autopay, loan_role

from ..models import AutopayDebit, AutopayPlan
from ..timing import change_deadline
from .errors import AutopayError, AutopayNotAllowed
from .period_order import held_for_review
from .selectors import BORROWER_SKIP, next_open_period


def owner_role(user, loan_id: int) -> str:
    """The user's role on the loan, if it lets them manage its autopay; else AutopayNotAllowed."""
    role = loan_role(user_id=user.pk, loan_id=loan_id)
    if not can_manage_autopay(role):
        raise AutopayNotAllowed(
            "Only the borrower or co-borrower can set up or change this loan's autopay."
        )
    return role


def being_processed(period_key: dt.date, what: str) -> AutopayError:
    """The refusal of a change while the debit of `period_key` is being charged."""
    return AutopayError(
        f"Your payment for {period_key:%b %-d} is being processed right now. "
        f"Try again in a few minutes to {what}."
    )


def check_change_window(
    plan: AutopayPlan, now: dt.datetime, what: str, *, stops_held: bool = False
) -> None:
    """Refuse (AutopayError, with the reason) a change while a debit is being charged or is
    already due, or once the next period's change deadline has passed; `what` completes the
    sentence ("to pause autopay").

    A debit whose payment waits for staff review (payments/risk.py) is not being charged: a
    change that stops it (`stops_held`: pause, cancel — held_stop.py cancels it) goes
    through (12 CFR 1005.10(c)); any other waits for the review, which decides whether that
    payment is made under the terms it was authorized on. Before, every change was refused
    "being processed" for as long as the review took, and the next period was charged
    meanwhile (issue 15, attacker reviews helper-65 and helper-67)."""
    in_flight = plan.debits.filter(
        status__in=[AutopayDebit.Status.CLAIMED, AutopayDebit.Status.SUBMITTING]
    ).annotate(held=held_for_review())
    for debit in in_flight.order_by("period_key"):
        if not debit.held:
            raise being_processed(debit.period_key, what)
        if not stops_held:
            raise AutopayError(
                f"Your payment for {debit.period_key:%b %-d} is waiting for a review by our "
                f"team. You can pause or cancel autopay now (that payment is then not made), "
                f"or {what} after the review."
            )
    due = plan.debits.filter(status=AutopayDebit.Status.DUE).order_by("run_date").first()
    if due is not None:
        raise AutopayError(
            f"Your payment of this period is already scheduled for {due.run_date:%A, %b %-d}. "
            f"You can {what} after it has been made."
        )
    if plan.status != AutopayPlan.Status.ACTIVE:
        return
    period = next_open_period(plan)
    if period is None:
        return
    deadline = change_deadline(period.run_date, plan.loan.lender)
    if now >= deadline:
        raise AutopayError(
            f"It's too close to your next automatic payment on {period.run_date:%A, %b %-d} "
            f"to {what}: changes close at {deadline:%-I:%M %p} on {deadline:%A, %b %-d}. "
            "That payment will still be made; you can make this change after it."
        )


def plan_stopped(status: str) -> str:
    """Why a plan in `status` takes no debit ("" while it is ACTIVE): the debit's skip reason."""
    if status == AutopayPlan.Status.ACTIVE:
        return ""
    return f"autopay is {AutopayPlan.Status(status).label.lower()}"


def mandate_stopped(*, plan_status: str, paused: str) -> str:
    """Why a debit of a plan in `plan_status` may not be charged ("" when it may): the plan is
    no longer ACTIVE, or `paused` (loans.flags.autopay_paused on the day: bankruptcy,
    deceased). Pure: the callers read the facts (one by one, or prefetched for a chunk)."""
    return plan_stopped(plan_status) or paused


def mandates_stopped_now(debits: list[tuple[int, dt.date]]) -> dict[int, str]:
    """{plan id: why} for the debits (plan id, run date) whose mandate stopped since they were
    prepared: read again right before the processor is called, in one statement per call (the
    set path prepares a part, commits, then calls: a flag or a suspension in between must stop
    the charge, as the one-debit path's gate would)."""
    rows = AutopayPlan.objects.filter(any_of("pk", {plan_id for plan_id, _ in debits})).values_list(
        "pk", "status", "loan__flags__kind", "loan__flags__start_date", "loan__flags__end_date"
    )
    statuses, periods = {}, {}
    for plan_id, status, kind, start, end in rows:  # one row per flag (or one without)
        statuses[plan_id] = status
        if kind is not None:
            periods.setdefault(plan_id, []).append(flags.FlagPeriod(kind, start, end))
    stopped = {}
    for plan_id, on in debits:
        if plan_id not in statuses:
            stopped[plan_id] = "autopay plan not found"
            continue
        paused = flags.autopay_paused(periods.get(plan_id, ()), on)
        if why := mandate_stopped(plan_status=statuses[plan_id], paused=paused):
            stopped[plan_id] = why
    return stopped


def not_the_payment_shown(plan: AutopayPlan, period_key: dt.date) -> str:
    """Why a skip of `period_key` (the payment the page showed) is refused: already skipped,
    or the plan's next payment is another one now."""
    shown = plan.debits.filter(period_key=period_key, reason=BORROWER_SKIP).first()
    if shown is not None:
        return f"The payment on {shown.run_date:%A, %b %-d, %Y} is already skipped."
    return "Your next payment changed since the page was shown. Look at it again below."
