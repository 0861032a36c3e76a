"""The recovery sweep's part of staff requests (payments/recovery.py calls it; moved out of
loans/staff_requests.py to keep that module short): finish requests approved — by a second
supervisor, or acting alone — whose process died between the claim and the execution."""

import datetime as dt
import logging
from collections import Counter

from django.utils import timezone

from accounts.audit import audit_record
from ismartpay.core.today import business_date

from .models import StaffRequest
from .staff_requests import StaffActionError, _finish, release, request_lender

logger = logging.getLogger("ismartpay.staff_requests")
S = StaffRequest.Status
# An approved request not executed this long after its claim: its process died (the sweep's
# STUCK_AFTER convention, payments/recovery.py).
RESUME_AFTER = dt.timedelta(seconds=60)
RESUME_BATCH = 100


def staff_requests_resume(*, wall: dt.datetime) -> Counter:
    """Recovery: finish requests approved (by a second supervisor, or acting alone) whose
    process died after the claim and before executing, once RESUME_AFTER has passed. Each is
    taken with a compare-and-set of its `updated_at` (the lease), so two sweeps never work the
    same one; execution itself is once by the row lock and the status. Refused now: an
    approval goes back to pending, an action done alone is marked rejected (not done)."""
    outcomes: Counter = Counter()
    rows = StaffRequest.objects.filter(status=S.APPROVED, updated_at__lt=wall - RESUME_AFTER)
    for pk, seen in rows.order_by("pk").values_list("pk", "updated_at")[:RESUME_BATCH]:
        taken = StaffRequest.objects.filter(pk=pk, status=S.APPROVED, updated_at=seen)
        if taken.update(updated_at=wall) != 1:
            outcomes["requests_held_elsewhere"] += 1
            continue
        request = StaffRequest.objects.select_related(
            "loan__lender", "decided_by", "requested_by"
        ).get(pk=pk)
        outcomes[_resume_one(request)] += 1
    return outcomes


def _resume_one(request: StaffRequest) -> str:
    actor = request.requested_by if request.acted_alone else request.decided_by
    reason = request.reason
    if not request.acted_alone:
        reason = f"{reason} (approved by {actor.email})"
    on = business_date(request_lender(request))
    try:
        _finish(request, actor=actor, on=on, reason=reason)
    except StaffActionError as exc:
        if request.acted_alone:
            StaffRequest.objects.filter(pk=request.pk, status=S.APPROVED).update(
                status=S.REJECTED, decision_note=f"Not done: {exc}"[:200], updated_at=timezone.now()
            )
        else:
            release(request)
        audit_record(
            actor=None,
            action="staff_request.resume_refused",
            target=request,
            reason=str(exc),
            details={"kind": request.kind},
        )
        return "requests_refused"
    except Exception:
        logger.exception("resuming staff request %s failed; the next sweep retries", request.pk)
        return "requests_error"
    audit_record(
        actor=None,
        action="staff_request.resume",
        target=request,
        reason="Finished by the recovery sweep after the process died",
        details={"kind": request.kind, "acted_alone": request.acted_alone},
    )
    return "requests_resumed"
