"""After payoff: the paid-in-full facts and the title (lien) release steps.

Staff move a release forward in the admin (permission documents.update_title_release); each
step is dated once, audited, and the loan's owners get one email per step.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.urls import reverse

from accounts.audit import audit_record
from loans.models import Loan, LoanLink, LoanPosting
from loans.permissions import OWNER_ROLES
from payments.notifications import notice_send

from .models import TitleRelease
from .services import DocumentError

S = TitleRelease.Step
ORDER = [S.REQUESTED, S.RELEASED, S.SENT]
DATE_FIELD = {S.REQUESTED: "requested_on", S.RELEASED: "released_on", S.SENT: "sent_on"}
SUBJECTS = {
    S.REQUESTED: "We have asked for your car's lien to be released",
    S.RELEASED: "The lien on your car has been released",
    S.SENT: "Your car's title is on its way",
}


@dataclass(frozen=True)
class PaidInFull:
    loan: Loan
    paid_on: dt.date  # effective date of the last payment that is not reversed
    last_payment: Decimal


def paid_in_full(loan: Loan) -> PaidInFull | None:
    """The facts for a paid-in-full letter, or None unless the loan is paid off."""
    if loan.status != Loan.Status.PAID_OFF:
        return None
    last = (
        LoanPosting.objects.filter(loan=loan, kind=LoanPosting.Kind.PAYMENT, reversal__isnull=True)
        .order_by("-effective_date", "-pk")
        .first()
    )
    if last is None:
        return None  # paid off before it came to us: the lender's letter, not ours
    return PaidInFull(loan=loan, paid_on=last.effective_date, last_payment=last.total)


def title_step_problem(loan: Loan, release, step: str, delivery: str) -> str | None:
    """Why `release` cannot move to `step`, or None: the one home of the step rules."""
    if loan.status != Loan.Status.PAID_OFF:
        return "Only a paid-off loan's title is released."
    if step not in ORDER:
        return f"Unknown step {step!r}."
    if step == S.SENT and delivery not in TitleRelease.Delivery.values:
        return "Say how the title was sent: mailed or electronic."
    if release is not None and ORDER.index(step) < ORDER.index(release.step):
        return f"The release is already at “{release.get_step_display()}”; steps only go forward."
    return None


def title_release_update(
    *,
    loan_id: int,
    step: str,
    on: dt.date,
    actor,
    delivery: str = "",
    note: str = "",
    request=None,
) -> TitleRelease:
    """Move the loan's title release forward to `step` (never back), dating each step it
    reaches with `on`. The loan must be paid off; `sent` needs a delivery (mail/electronic)."""
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan_id)
        release = TitleRelease.objects.filter(loan=loan).first()
        if problem := title_step_problem(loan, release, step, delivery):
            raise DocumentError(problem)
        reached: list[str] = []
        if release is None:
            release = TitleRelease(loan=loan, step=S.REQUESTED, requested_on=on)
            reached.append(S.REQUESTED)
        current = ORDER.index(release.step)
        target = ORDER.index(step)
        for later in ORDER[current + 1 : target + 1]:
            setattr(release, DATE_FIELD[later], on)
            reached.append(later)
        release.step = step
        if step == S.SENT:
            release.delivery = delivery
        if note:
            release.note = note[:200]
        release.save()
        for done in reached:
            audit_record(
                actor=actor,
                action=f"title.{done}",
                target=release,
                request=request,
                details={"on": on.isoformat(), "delivery": release.delivery, "note": note},
            )
        transaction.on_commit(lambda: title_release_notices(release.pk))
    return release


def title_release_notices(release_id: int) -> int:
    """One email per step reached and owner (the key), so a step is never told twice."""
    release = TitleRelease.objects.select_related("loan__lender").get(pk=release_id)
    reached = ORDER[: ORDER.index(release.step) + 1]
    owners = LoanLink.objects.filter(loan=release.loan, role__in=OWNER_ROLES).select_related("user")
    sent = 0
    for link in owners.order_by("pk"):
        for step in reached:
            sent += notice_send(
                kind=f"title_{step}",
                dedupe_key=f"title:{release.loan_id}:{step}:{link.user_id}",
                to=link.user.email,
                subject=SUBJECTS[step],
                template="documents/email/title_step.txt",
                context={
                    "loan": release.loan,
                    "release": release,
                    "step": step,
                    "path": reverse("loan_detail", args=[release.loan_id]),
                },
            )
    return sent
