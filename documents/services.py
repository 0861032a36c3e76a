"""Every change to documents: make a statement, a year-end statement, give or withdraw paperless
consent. Each is idempotent where a job calls it (a unique row per loan and cycle or year)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from loans import lock_objects
from loans.models import Loan, LoanLink, LoanPosting
from loans.permissions import OWNER_ROLES
from loans.selectors import contract_schedule, interest_paid
from payments.notifications import notice_send

from . import disclosures
from .figures import statement_figures, statement_message
from .models import PaperlessConsent, Statement, YearEndStatement


class DocumentError(ValueError):
    """A document request the rules refuse; the message is shown to the person."""


def statement_make(*, loan_id: int, cycle_number: int, on: dt.date) -> tuple[Statement, bool]:
    """Snapshot cycle `cycle_number` of the loan from its ledger, once: (statement, created).

    Under the loan's row lock, so the ledger does not move while it is read."""
    existing = Statement.objects.filter(loan_id=loan_id, cycle_number=cycle_number).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            loan = lock_objects.loan_for_update(loan_id)
            postings = list(
                LoanPosting.objects.filter(loan=loan).select_related("reverses").order_by("pk")
            )
            figures = statement_figures(
                loan, postings, number=cycle_number, schedule=contract_schedule(loan)
            )
            values = {k: v for k, v in vars(figures).items()}
            statement = Statement.objects.create(
                loan=loan,
                cycle_number=cycle_number,
                made_on=on,
                message=statement_message(figures, lender_message=loan.lender.statement_message),
                **values,
            )
    except IntegrityError:  # another run made it first
        return Statement.objects.get(loan_id=loan_id, cycle_number=cycle_number), False
    return statement, True


def statement_ready_notices(statement: Statement) -> int:
    """ "Your statement is ready" to each owner who has paperless on; once per statement and
    person (the notice key). The email carries no figures: sign in to read them."""
    active = PaperlessConsent.objects.filter(user=OuterRef("user"), withdrawn_at__isnull=True)
    links = LoanLink.objects.filter(
        Exists(active), loan_id=statement.loan_id, role__in=OWNER_ROLES
    ).select_related("user", "loan__lender")
    sent = 0
    for link in links.order_by("pk"):
        sent += notice_send(
            kind="statement_ready",
            dedupe_key=f"statement:{statement.pk}:ready:{link.user_id}",
            to=link.user.email,
            subject="Your loan statement is ready",
            template="documents/email/statement_ready.txt",
            context={
                "loan": link.loan,
                "statement": statement,
                "path": reverse("documents:statement", args=[statement.loan_id, statement.pk]),
            },
        )
    return sent


def year_end_make(*, loan_id: int, year: int, on: dt.date) -> tuple[YearEndStatement, bool]:
    """The interest paid in calendar `year` (a past year only), once per loan and year."""
    if year >= on.year:
        raise DocumentError("A year-end statement is made once the year is over.")
    existing = YearEndStatement.objects.filter(loan_id=loan_id, year=year).first()
    if existing is not None:
        return existing, False
    loan = Loan.objects.get(pk=loan_id)
    try:
        with transaction.atomic():
            row = YearEndStatement.objects.create(
                loan=loan, year=year, interest_paid=interest_paid(loan, year=year), made_on=on
            )
    except IntegrityError:
        return YearEndStatement.objects.get(loan_id=loan_id, year=year), False
    return row, True


def paperless_consent_give(
    *, user, version: str, ip: str | None = None, now: dt.datetime | None = None
) -> PaperlessConsent:
    """Record consent to the disclosure the person was shown (`version` must be the current
    one: consent to an older text is asked again). Giving it twice keeps the first."""
    if version != disclosures.VERSION:
        raise DocumentError("The disclosure has changed; please read it again.")
    with transaction.atomic():
        active = PaperlessConsent.objects.select_for_update().filter(
            user=user, withdrawn_at__isnull=True
        )
        if (current := active.first()) is not None:
            return current
        return PaperlessConsent.objects.create(
            user=user,
            disclosure_version=disclosures.VERSION,
            disclosure_sha256=disclosures.sha256(),
            email=user.email,
            consented_at=now or timezone.now(),
            ip=ip,
        )


def paperless_consent_withdraw(*, user, now: dt.datetime | None = None) -> int:
    """Back to paper from now on (E-SIGN § 7001(c)(1)(B)(i)); free, and takes effect at once."""
    return PaperlessConsent.objects.filter(user=user, withdrawn_at__isnull=True).update(
        withdrawn_at=now or timezone.now()
    )
