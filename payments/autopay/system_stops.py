"""The system stops a plan: ends it (the loan is paid off, charged off, the end date passed)
or suspends it until the borrower authorizes again (an R10 return, a refused mandate). Each
locks the plan, records an AutopayEvent as "system:autopay" and emails the borrower; the
borrower's own changes are in payments/autopay/services.py."""

from django.db import transaction

from ..models import AutopayPlan
from .records import plan_email, plan_event
from .services import P, _lock


def autopay_end(*, plan_id: int, reason: str, kind: str = "ended") -> AutopayPlan | None:
    """System: end a plan (the loan is paid off, the end date passed) and tell the borrower."""
    with transaction.atomic():
        plan, _ = _lock(plan_id, None)
        if not plan.is_live:
            return None
        plan.status = P.ENDED
        plan.ended_reason = reason
        plan.next_run_date = plan.next_period_key = None
        plan.save(
            update_fields=[
                "status",
                "ended_reason",
                "next_run_date",
                "next_period_key",
                "updated_at",
            ]
        )
        event = plan_event(plan, kind, actor_label="system:autopay", reason=reason)
    plan_email(plan, "ended", str(event.pk), "Your autopay has ended", reason=reason)
    return plan


def autopay_suspend(*, plan_id: int, reason: str) -> AutopayPlan | None:
    """System: stop debits until the borrower authorizes again (e.g. an R10 return)."""
    with transaction.atomic():
        plan, _ = _lock(plan_id, None)
        if plan.status != P.ACTIVE:
            return None
        plan.status = P.SUSPENDED
        plan.save(update_fields=["status", "updated_at"])
        event = plan_event(plan, "suspended", actor_label="system:autopay", reason=reason)
    plan_email(
        plan,
        "changed",
        str(event.pk),
        "Your autopay is paused until you authorize it again",
        what="suspended",
        detail={"reason": reason},
    )
    return plan
