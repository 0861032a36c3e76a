"""Every change a borrower makes to an autopay plan: enrol, change (re-authorize), pause,
resume, skip the next payment (and undo it), cancel; the system's (end, suspend) are in
payments/autopay/system_stops.py. Each one locks the plan, runs the guards
(payments/autopay/guards.py: only an owner of the loan, and only before the cut-off), records
an AutopayEvent (and an AutopayAuthorization when the borrower authorizes), and emails the
borrower (payments/autopay/records.py). Each event records the actor and their role.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from loans.models import Loan

from .. import authorizations
from ..lock_objects import plan_and_loan_for_update, plan_for_update
from ..models import AutopayAuthorization, AutopayDebit, AutopayPlan, PaymentMethod
from ..timing import change_deadline, earliest_run_date, lender_local
from . import schedule as sched
from .errors import AutopayError, AutopayNotAllowed
from .guards import check_change_window, not_the_payment_shown, owner_role
from .held_stop import autopay_stop_held, autopay_stop_waiting
from .records import plan_email, plan_event
from .reschedule import autopay_skips_follow_terms, cursor_at
from .selectors import BORROWER_SKIP, next_open_period, plan_upcoming, skips_ahead
from .terms import (  # noqa: F401 - describe_*, authorization_text re-exported for importers
    _json_terms,
    authorization_text,
    describe_amount,
    describe_schedule,
    preview,
    validate_terms,
)

AUTHORIZATION_VERSION = authorizations.AUTOPAY_VERSION
P = AutopayPlan.Status


def _reset_cursor(plan: AutopayPlan) -> None:
    cursor_at(plan, next_open_period(plan))


# --- services ----------------------------------------------------------------------------------
def autopay_enroll(
    *,
    user,
    loan_id: int,
    method: PaymentMethod,
    terms: sched.PlanTerms,
    ip_address: str | None,
    user_agent: str,
    now: dt.datetime | None = None,
    shown_text: str | None = None,
) -> AutopayPlan:
    """Turn autopay on: the plan and the borrower's authorization, in one transaction; the
    borrower gets a copy of the authorization by email (Regulation E)."""
    now = now or timezone.now()
    role = owner_role(user, loan_id)
    loan = Loan.objects.select_related("lender").get(pk=loan_id)
    today = lender_local(now, loan.lender.timezone).date()
    validate_terms(loan=loan, method=method, terms=terms, user=user, today=today)
    text, upcoming = preview(loan=loan, method=method, terms=terms, now=now)
    if shown_text is not None and shown_text != text:
        raise AutopayError("The terms changed since you reviewed them. Review them again.")
    try:
        with transaction.atomic():
            plan = _create_plan(loan=loan, user=user, method=method, terms=terms, now=now)
            auth = _authorize(
                plan, user, text, method, terms, upcoming, now, ip_address, user_agent
            )
            plan_event(plan, "enrolled", actor=user, actor_label=role, authorization=auth.pk)
    except IntegrityError:
        raise AutopayError("This loan already has autopay. Manage it instead.") from None
    plan_email(
        plan,
        "enrolled",
        str(auth.pk),
        "Autopay is on: your authorization",
        authorization=auth,
        upcoming=upcoming,
    )
    return plan


def _create_plan(*, loan: Loan, user, method: PaymentMethod, terms, now: dt.datetime):
    """The new ACTIVE plan (a second live plan on the loan is an IntegrityError), its cursor
    at the first period."""
    plan = AutopayPlan.objects.create(
        loan=loan,
        owner=user,
        method=method,
        amount_rule=terms.amount_rule,
        fixed_amount=terms.fixed_amount,
        extra_amount=terms.extra_amount,
        schedule=terms.schedule,
        day_of_month=terms.day_of_month,
        start_date=terms.start_date,
        end_date=terms.end_date,
        status=P.ACTIVE,
        charge_from=max(terms.start_date, earliest_run_date(now, loan.lender)),
    )
    _reset_cursor(plan)
    plan.save(update_fields=["next_period_key", "next_run_date"])
    return plan


def _authorize(plan, user, text, method, terms, upcoming, now, ip_address, user_agent):
    return AutopayAuthorization.objects.create(
        plan=plan,
        user=user,
        text_version=AUTHORIZATION_VERSION,
        text=text,
        terms=_json_terms(method, terms, upcoming),
        accepted_at=now,
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:300],
    )


def _refuse_unless_changeable(plan: AutopayPlan, method: PaymentMethod) -> None:
    """Refuse changing an ended plan, or to another person's method (the plan is locked)."""
    if not plan.is_live:
        raise AutopayError("This autopay plan has ended. Set up a new one.")
    if method.owner_id != plan.owner_id:
        # The nightly run debits the plan owner's authorization: another person's method
        # would be refused then, and the plan suspended (issue 9, finding 5).
        raise AutopayNotAllowed(
            "Autopay can only debit a payment method of the person who set it up. To pay "
            "from your own, cancel this autopay and set up your own."
        )


def _set_terms(plan: AutopayPlan, method: PaymentMethod, terms, *, now: dt.datetime) -> None:
    """Put `method` and `terms` on the plan (not saved): ACTIVE, charging from the later of the
    start date and the earliest run date, its cursor at the first period."""
    for field, value in (
        ("method", method),
        ("amount_rule", terms.amount_rule),
        ("fixed_amount", terms.fixed_amount),
        ("extra_amount", terms.extra_amount),
        ("schedule", terms.schedule),
        ("day_of_month", terms.day_of_month),
        ("start_date", terms.start_date),
        ("end_date", terms.end_date),
    ):
        setattr(plan, field, value)
    plan.status = P.ACTIVE
    plan.charge_from = max(terms.start_date, earliest_run_date(now, plan.loan.lender))
    autopay_skips_follow_terms(plan, today=lender_local(now, plan.loan.lender.timezone).date())
    _reset_cursor(plan)


def _lock(plan_id: int, user, *, with_loan: bool = False) -> tuple[AutopayPlan, str]:
    """The plan, locked (`with_loan`: its loan first, for a change that may cancel payments),
    and the actor's label: the user's role on the loan (refused unless it lets them manage
    autopay, whatever the page checked before), or "system" for none."""
    plan = plan_and_loan_for_update(plan_id) if with_loan else plan_for_update(plan_id)
    if user is None:
        return plan, "system"
    return plan, owner_role(user, plan.loan_id)


def autopay_change(
    *,
    plan_id: int,
    user,
    method: PaymentMethod,
    terms: sched.PlanTerms,
    ip_address: str | None,
    user_agent: str,
    now: dt.datetime | None = None,
    shown_text: str | None = None,
) -> AutopayPlan:
    """Change amount, method or schedule: a new authorization replaces the old one. Also how
    a suspended plan is re-authorized."""
    now = now or timezone.now()
    with transaction.atomic():
        plan, role = _lock(plan_id, user)
        _refuse_unless_changeable(plan, method)
        today = lender_local(now, plan.loan.lender.timezone).date()
        if terms.start_date < today and terms.start_date == plan.start_date:
            terms = sched.PlanTerms(**{**terms.__dict__, "start_date": today})
        validate_terms(loan=plan.loan, method=method, terms=terms, user=user, today=today)
        check_change_window(plan, now, "change autopay")
        text, upcoming = preview(loan=plan.loan, method=method, terms=terms, now=now, plan=plan)
        if shown_text is not None and shown_text != text:
            raise AutopayError("The terms changed since you reviewed them. Review them again.")
        _set_terms(plan, method, terms, now=now)
        plan.save()
        auth = _authorize(plan, user, text, method, terms, upcoming, now, ip_address, user_agent)
        event = plan_event(plan, "changed", actor=user, actor_label=role, authorization=auth.pk)
    plan_email(
        plan,
        "changed",
        str(event.pk),
        "Your autopay was changed",
        what="changed",
        authorization=auth,
        upcoming=upcoming,
    )
    return plan


def _simple(
    plan_id: int,
    user,
    *,
    kind: str,
    what: str,
    subject,
    allowed: tuple,
    now: dt.datetime | None,
    apply,
    stops_held: bool = False,
) -> AutopayPlan:
    """Lock, check, `apply` and record a change; `stops_held`: it stops the payments waiting
    for staff review (pause, cancel: held_stop.py)."""
    now = now or timezone.now()
    with transaction.atomic():
        plan, role = _lock(plan_id, user, with_loan=stops_held)
        if plan.status not in allowed:
            raise AutopayError(
                f"Autopay is {plan.get_status_display().lower()}; you can't {what} it."
            )
        check_change_window(plan, now, what, stops_held=stops_held)
        detail = apply(plan, now) or {}
        if stops_held and (stopped := autopay_stop_held(plan, actor=user, role=role, what=what)):
            detail["stopped_periods"] = stopped
        plan.save()
        event = plan_event(plan, kind, actor=user, actor_label=role, **detail)
    subject = subject(detail) if callable(subject) else subject  # skip: names its date
    plan_email(plan, "changed", str(event.pk), subject, what=kind, detail=detail)
    return plan


def autopay_pause(*, plan_id: int, user, now: dt.datetime | None = None) -> AutopayPlan:
    def apply(plan, now):
        plan.status = P.PAUSED
        autopay_stop_waiting(plan, "autopay paused")

    return _simple(
        plan_id,
        user,
        kind="paused",
        what="pause autopay",
        subject="Your autopay is paused",
        allowed=(P.ACTIVE,),
        now=now,
        apply=apply,
        stops_held=True,
    )


def autopay_resume(*, plan_id: int, user, now: dt.datetime | None = None) -> AutopayPlan:
    """Resume a paused plan from the next period still ahead of the cut-off; the periods
    while it was paused are not caught up."""

    def apply(plan, now):
        plan.status = P.ACTIVE
        plan.charge_from = max(plan.start_date, earliest_run_date(now, plan.loan.lender))
        _reset_cursor(plan)
        return {"next_run_date": plan.next_run_date.isoformat() if plan.next_run_date else None}

    return _simple(
        plan_id,
        user,
        kind="resumed",
        what="resume autopay",
        subject="Your autopay is back on",
        allowed=(P.PAUSED,),
        now=now,
        apply=apply,
    )


def autopay_skip_next(
    *, plan_id: int, user, now: dt.datetime | None = None, period_key: dt.date | None = None
) -> AutopayPlan:
    """Skip the next payment: its period gets a SKIPPED debit row, so no run can charge it.
    `period_key`: the payment the borrower was shown; another one is never skipped in its
    place (a double tap skipped two, the new-user review helper-68)."""

    def apply(plan, now):
        period = next_open_period(plan)
        if period is None:
            raise AutopayError("There is no upcoming payment to skip.")
        if period_key is not None and period.key != period_key:
            raise AutopayError(not_the_payment_shown(plan, period_key))
        today = lender_local(now, plan.loan.lender.timezone).date()
        amount = _next_amount(plan, today, period.key)  # the amount the page showed
        AutopayDebit.objects.create(
            plan=plan,
            period_key=period.key,
            run_date=period.run_date,
            status=AutopayDebit.Status.SKIPPED,
            reason=BORROWER_SKIP,
        )
        _reset_cursor(plan)
        detail = {"skipped_run_date": period.run_date.isoformat()}
        return detail | ({"skipped_amount": str(amount)} if amount else {})

    return _simple(
        plan_id,
        user,
        kind="skipped",
        what="skip the next payment",
        subject=lambda d: f"Your autopay payment on {_short(d['skipped_run_date'])} is skipped",
        allowed=(P.ACTIVE,),
        now=now,
        apply=apply,
    )


def _next_amount(plan: AutopayPlan, today: dt.date, period_key: dt.date):
    """The projected amount of the plan's next payment (the manage page's), if it is the one
    of `period_key`; else None."""
    shown = plan_upcoming(plan, today=today, count=1)
    return shown[0].amount if shown and shown[0].period_key == period_key else None


def _short(iso: str) -> str:
    return f"{dt.date.fromisoformat(iso):%b %-d}"  # "Dec 4", for an email's subject


def autopay_unskip(
    *, plan_id: int, user, now: dt.datetime | None = None, debit_id: int | None = None
) -> AutopayDebit:
    """Undo "skip the next payment" until that payment's change deadline: the SKIPPED row,
    which never charged anything, is removed, so the period is charged as if never skipped.
    `debit_id`: which of the skips still ahead (the page lists each with its undo); none, the
    earliest."""
    now = now or timezone.now()
    with transaction.atomic():
        plan, role = _lock(plan_id, user)
        if plan.status != P.ACTIVE:
            raise AutopayError(
                f"Autopay is {plan.get_status_display().lower()}; you can't undo a skip."
            )
        today = lender_local(now, plan.loan.lender.timezone).date()
        skips = skips_ahead(plan, today)
        skipped = (skips if debit_id is None else skips.filter(pk=debit_id)).first()
        if skipped is None:
            raise AutopayError(
                "There is no skipped payment to undo."
                if debit_id is None
                else "That skip was already undone, or its payment date has passed."
            )
        deadline = change_deadline(skipped.run_date, plan.loan.lender)
        if now >= deadline:
            raise AutopayError(
                f"It's past the cut-off for the payment on {skipped.run_date:%A, %b %-d, %Y} "
                f"({deadline:%-I:%M %p} on {deadline:%A, %b %-d}): it stays skipped. "
                "Pay that installment another way."
            )
        skipped.delete()  # never charged: nothing to keep but the event below
        _reset_cursor(plan)
        plan.save()
        detail = {"unskipped_run_date": skipped.run_date.isoformat()}
        amount = _next_amount(plan, today, skipped.period_key)  # the undone one is next
        if amount is not None:
            detail["unskipped_amount"] = str(amount)
        event = plan_event(plan, "unskipped", actor=user, actor_label=role, **detail)
    plan_email(
        plan,
        "changed",
        str(event.pk),
        f"Your autopay payment on {skipped.run_date:%b %-d} is back on",
        what="unskipped",
        detail=detail,
    )
    return skipped


def autopay_cancel(*, plan_id: int, user, now: dt.datetime | None = None) -> AutopayPlan:
    """Turn autopay off. Pending retries are dropped. Refused only inside the cut-off window
    of the next debit (less than one business day), so a cancel made 3 business days ahead
    always stops it."""

    def apply(plan, now):
        plan.status = P.CANCELLED
        plan.next_run_date = plan.next_period_key = None
        autopay_stop_waiting(plan, "autopay cancelled")

    return _simple(
        plan_id,
        user,
        kind="cancelled",
        what="cancel autopay",
        subject="Your autopay is cancelled",
        allowed=(P.ACTIVE, P.PAUSED, P.SUSPENDED),
        now=now,
        apply=apply,
        stops_held=True,
    )
