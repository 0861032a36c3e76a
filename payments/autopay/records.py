"""The trail each change to an autopay plan leaves: its AutopayEvent, the account activity of
the people concerned, and the email to the borrower (payments/autopay/services.py).

Emails go out after the transaction (notice_send claims a Notice row first, so each one is
sent once; the sweep resends a claimed one whose sender died).
"""

from django.urls import reverse

from ..models import AutopayEvent, AutopayPlan
from ..notifications import notice_send


def plan_email(plan: AutopayPlan, kind: str, dedupe: str, subject: str, **context) -> None:
    """Email the plan's owner the `autopay_<kind>` notice, once per `dedupe`."""
    notice_send(
        kind=f"autopay_{kind}",
        dedupe_key=f"autopay:{plan.pk}:{kind}:{dedupe}",
        to=plan.owner.email,
        subject=subject,
        template=f"payments/email/autopay_{kind}.txt",
        context={
            "plan": plan,
            "loan": plan.loan,
            "manage_path": reverse("payments:autopay_manage", args=[plan.pk]),
            "pay_path": reverse("payments:pay", args=[plan.loan_id]),
            **context,
        },
    )


def plan_event(plan: AutopayPlan, kind: str, *, actor=None, actor_label: str, **detail):
    """Record the change; a person's change also goes on their "Recent activity" page."""
    if actor is not None:
        _activity(plan, kind, actor)
    return AutopayEvent.objects.create(
        plan=plan, kind=kind, actor=actor, actor_label=actor_label, detail=detail
    )


def _activity(plan: AutopayPlan, kind: str, actor) -> None:
    from accounts.activity import activity_record
    from accounts.models import AccountEvent

    what = (
        AccountEvent.Kind.AUTOPAY_SET_UP
        if kind == "enrolled"
        else AccountEvent.Kind.AUTOPAY_CHANGED
    )
    detail = f"Loan {plan.loan.loan_number}: {kind.replace('_', ' ')}"
    for user in {plan.owner, actor}:  # the owner, and the co-borrower who acted, if another
        activity_record(user=user, kind=what, detail=detail)
