"""A borrower's due-date change and payment extension: the quote, the request, the decision.

The quote is computed from the loan as it stands with the pure loan maths; whether it is
approved automatically is loans/request_rules.py; the change itself is the staff servicing
service (loans/servicing.py), which validates, moves the schedule and the autopay dates under
the loan's lock. Reminders and the calendar feed read the schedule, so they follow. Every
decision writes an audit row and emails the borrower once (payments/notifications.py).
"""

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from ismartpay.core.money import to_cents

from . import calendar, delinquency, lock_objects, request_rules, servicing, simulation
from .interest import per_diem
from .models import BorrowerRequest, Loan
from .selectors import contract_schedule, loan_balances_on, loan_position

Kind = BorrowerRequest.Kind
Status = BorrowerRequest.Status
RequestRefused = request_rules.RequestRefused
UPCOMING_DATES = 3  # new due dates the quote lists


@dataclass(frozen=True)
class DueDayQuote:
    """What a due-day change would do, shown before the borrower submits it."""

    new_due_day: int
    next_due_before: dt.date  # the next unpaid installment's due date now …
    next_due_after: dt.date  # … and after the change
    upcoming: list[dt.date]  # the next few due dates after the change
    shift_days: int  # next_due_after − next_due_before (negative: earlier)
    interest_effect: Decimal  # dollars: per diem × shift_days (negative: less interest)
    next_payment: Decimal  # dollars due on next_due_after (the installment, less paid toward it)
    reasons: list[str]  # empty: approved automatically; else why staff review it


@dataclass(frozen=True)
class ExtensionQuote:
    """What deferring `months` would do: interest keeps accruing, the end moves later."""

    months: int
    next_due_before: dt.date
    next_due_after: dt.date
    maturity_before: dt.date
    maturity_after: dt.date
    final_payment_before: Decimal  # dollars, if every installment is paid on its date
    final_payment_after: Decimal
    extra_interest: Decimal  # dollars: interest the deferral adds over the rest of the loan
    per_diem: Decimal  # dollars a day accruing meanwhile, rounded to cents
    reasons: list[str]


def _require_open(loan: Loan) -> None:
    if loan.status not in Loan.OPEN_STATUSES:
        raise RequestRefused(f"This loan is {loan.get_status_display().lower()}.")


def _next_unpaid(loan: Loan, today: dt.date) -> tuple[delinquency.ContractSchedule, int]:
    schedule = contract_schedule(loan)
    covered = delinquency.covered_installments(schedule, loan_position(loan, today))
    if covered >= schedule.term_months:
        raise RequestRefused("Every payment of this loan is made.")
    return schedule, covered


def due_day_quote(loan: Loan, *, new_due_day: int, today: dt.date) -> DueDayQuote:
    """Quote a move of every due date to `new_due_day` (raises RequestRefused if impossible)."""
    _require_open(loan)
    request_rules.check_due_day_choice(current_due_day=loan.due_day, new_due_day=new_due_day)
    old, covered = _next_unpaid(loan, today)
    first = old.first_due_date
    new = delinquency.ContractSchedule(
        calendar.due_date(first.year, first.month, new_due_day),
        new_due_day,
        old.term_months,
        old.installment,
    )
    number = covered + 1
    before, after = old.due_date(number), new.due_date(number)
    shift = (after - before).days
    position = loan_position(loan, today)
    paid_toward_next = position.paid_toward_installments - covered * old.installment
    last = BorrowerRequest.objects.filter(
        loan=loan, kind=Kind.DUE_DAY, status=Status.APPLIED
    ).order_by("-applied_on")
    reasons = request_rules.due_day_change_reasons(
        is_past_due=delinquency.loan_status(old, position, today) == delinquency.PAST_DUE,
        next_due_date=calendar.next_due_date_on_or_after(
            old.first_due_date, old.due_day, old.term_months, today
        ),
        last_change_on=last.values_list("applied_on", flat=True).first(),
        today=today,
    )
    return DueDayQuote(
        new_due_day=new_due_day,
        next_due_before=before,
        next_due_after=after,
        upcoming=[
            new.due_date(n)
            for n in range(number, min(number + UPCOMING_DATES, new.term_months + 1))
        ],
        shift_days=shift,
        interest_effect=to_cents(per_diem(loan.principal_balance, loan.apr_percent) * shift),
        next_payment=max(old.installment - paid_toward_next, Decimal("0.00")),
        reasons=reasons,
    )


def _policy(loan: Loan) -> request_rules.ExtensionPolicy:
    lender = loan.lender
    return request_rules.ExtensionPolicy(
        max_per_loan=lender.extension_max_per_loan,
        max_per_12_months=lender.extension_max_per_12_months,
        min_payments_made=lender.extension_min_payments_made,
        max_days_past_due=lender.extension_max_days_past_due,
        max_months=lender.extension_max_months,
    )


def extension_quote(loan: Loan, *, months: int, today: dt.date) -> ExtensionQuote:
    """Quote deferring the next unpaid installment (and every later one) by `months`."""
    _require_open(loan)
    old, covered = _next_unpaid(loan, today)
    position = loan_position(loan, today)
    reasons = request_rules.extension_reasons(
        policy=_policy(loan),
        months=months,
        extensions_granted=list(
            BorrowerRequest.objects.filter(
                loan=loan, kind=Kind.EXTENSION, status=Status.APPLIED
            ).values_list("applied_on", flat=True)
        ),
        payments_made=covered,
        days_past_due=delinquency.days_past_due(old, position, today),
        installments_left=old.term_months - covered,
        today=today,
    )
    next_due, first = old.due_date(covered + 1), old.first_due_date
    finish = {
        defer: simulation.contract_finish(
            loan_balances_on(loan, today),
            apr_percent=loan.apr_percent,
            next_due_date=next_due,
            due_day=old.due_day,
            installment=old.installment,
            as_of=today,
            payments_left=old.term_months - covered,
            defer_months=defer,
        )
        for defer in (0, months)
    }
    return ExtensionQuote(
        months=months,
        next_due_before=next_due,
        next_due_after=calendar.installment_due_date(first, old.due_day, covered + 1 + months),
        maturity_before=old.due_date(old.term_months),
        maturity_after=calendar.installment_due_date(first, old.due_day, old.term_months + months),
        final_payment_before=finish[0].final_payment,
        final_payment_after=finish[months].final_payment,
        extra_interest=finish[months].total_interest - finish[0].total_interest,
        per_diem=to_cents(per_diem(loan.principal_balance, loan.apr_percent)),
        reasons=reasons,
    )


def _jsonable(quote) -> dict:
    return {
        key: [str(v) for v in value] if isinstance(value, list) else str(value)
        for key, value in asdict(quote).items()
    }


def _apply(request: BorrowerRequest, *, actor, on: dt.date) -> None:
    """Run the servicing service for `request` (raises ServicingError or ValueError)."""
    reason = f"Borrower request #{request.pk}"
    if request.kind == Kind.DUE_DAY:
        _loan, change = servicing.loan_change_due_day(
            loan_id=request.loan_id, due_day=request.due_day, reason=reason, actor=actor, on=on
        )
    else:
        _loan, change = servicing.loan_defer_installments(
            loan_id=request.loan_id, months=request.months, reason=reason, actor=actor, on=on
        )
    request.status, request.applied_on, request.change = Status.APPLIED, on, change
    request.decided_by = actor if actor is not None and actor.is_staff else None
    request.decided_at = timezone.now()
    request.save(
        update_fields=[
            "status",
            "applied_on",
            "change",
            "decided_by",
            "decided_at",
            "decision_note",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action=f"loan.borrower_request.{request.kind}",
        target=request.loan,
        reason=reason,
        details={"request": request.pk, **change},
    )


def borrower_request_submit(
    *,
    user,
    loan_id: int,
    kind: str,
    today: dt.date,
    due_day: int | None = None,
    months: int | None = None,
) -> BorrowerRequest:
    """Record the borrower's request, re-quoted under the loan's lock, and apply it at once when
    the rules allow; else leave it pending for staff. The borrower is emailed either way."""
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        if kind == Kind.DUE_DAY:
            quote = due_day_quote(loan, new_due_day=due_day, today=today)
        else:
            quote = extension_quote(loan, months=months, today=today)
        try:
            with transaction.atomic():
                request = BorrowerRequest.objects.create(
                    kind=kind,
                    loan=loan,
                    requested_by=user,
                    due_day=due_day if kind == Kind.DUE_DAY else None,
                    months=months if kind == Kind.EXTENSION else None,
                    reasons=quote.reasons,
                    quote=_jsonable(quote),
                )
        except IntegrityError:
            raise RequestRefused(
                "You already have a request of this kind waiting for our team."
            ) from None
        if not quote.reasons:
            try:
                with transaction.atomic():
                    _apply(request, actor=user, on=today)
            except ValueError as exc:  # ServicingError, or an autopay debit in flight
                request.reasons = [str(exc)]
                request.save(update_fields=["reasons", "updated_at"])
        _email(request)
        return request


def borrower_request_decide(
    *, request_id: int, actor, approve: bool, on: dt.date, note: str = ""
) -> BorrowerRequest:
    """Staff approve (apply through the servicing service) or reject a pending request."""
    with transaction.atomic():
        request = (
            BorrowerRequest.objects.select_for_update().select_related("loan").get(pk=request_id)
        )
        if request.status != Status.PENDING:
            raise RequestRefused(f"This request is already {request.get_status_display()}.")
        request.decision_note = note[:200]
        if approve:
            _apply(request, actor=actor, on=on)
        else:
            request.status, request.decided_by = Status.REJECTED, actor
            request.decided_at = timezone.now()
            request.save(
                update_fields=[
                    "status",
                    "decided_by",
                    "decided_at",
                    "decision_note",
                    "updated_at",
                ]
            )
            audit_record(
                actor=actor,
                action=f"loan.borrower_request.{request.kind}.reject",
                target=request.loan,
                reason=note,
                details={"request": request.pk},
            )
        _email(request)
        return request


SUBJECTS = {
    Status.APPLIED: "Your {what} is done: your new terms",
    Status.PENDING: "We received your {what} request",
    Status.REJECTED: "About your {what} request",
}


def _email(request: BorrowerRequest) -> None:
    from payments.notifications import notice_send  # payments → loans; loans calls it late

    what = "due-date change" if request.kind == Kind.DUE_DAY else "payment extension"
    loan = request.loan
    notice_send(
        kind=f"loan_request_{request.status}",
        dedupe_key=f"borrower_request:{request.pk}:{request.status}",
        to=request.requested_by.email,
        user=request.requested_by,
        subject=SUBJECTS[request.status].format(what=what),
        template="loans/email/borrower_request.txt",
        context={
            "request": request,
            "loan": loan,
            "what": what,
            "after": request.change.get("after", {}),
        },
    )
