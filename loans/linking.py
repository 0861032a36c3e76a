"""Linking a loan to a borrower's account by the facts on file (loan number, billing ZIP, the
VIN's last 6: loans.facts.loan_facts_match), the first person as borrower, the second as
co-borrower; five failed tries a day lock it. (Who may do what once linked is
loans.permissions and loans.selectors.loan_get_for_user.)"""

import datetime as dt

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string

from .facts import loan_facts_match
from .models import LinkAttempt, Loan, LoanLink
from .permissions import OWNER_ROLES_IN_LINK_ORDER, is_owner

MAX_LINK_FAILURES_PER_DAY = 5
_NOT_FOUND = (
    "We could not find a loan matching those details. Check them against your statement "
    "and try again."
)
_LOCKED = (
    "For your security, linking is paused after 5 unsuccessful tries. Try again tomorrow, "
    "or call your lender."
)


class AccessError(Exception):
    """A refused access change; the message is safe to show the person who asked."""


class LinkLocked(AccessError):
    pass


def email_verified(user) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def loan_link(
    *, user, lender_id: int, loan_number: str, billing_zip: str, vin_last6: str, today: dt.date
) -> LoanLink:
    """Link the user to a loan when the lender, loan number, billing ZIP and the VIN's last 6
    characters all match the record. The first person becomes the borrower, the second the
    co-borrower; nobody else can link it. Five failed tries per user per day lock linking until
    the next day; the error never says which detail was wrong.
    """
    if not email_verified(user):
        raise AccessError("Confirm your email address before linking a loan.")
    outcome: LoanLink | AccessError
    with transaction.atomic():
        try:
            with transaction.atomic():
                attempt, _ = LinkAttempt.objects.get_or_create(user=user, day=today)
        except IntegrityError:  # a concurrent first attempt of the day created it
            attempt = LinkAttempt.objects.get(user=user, day=today)
        attempt = LinkAttempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.failures >= MAX_LINK_FAILURES_PER_DAY:
            raise LinkLocked(_LOCKED)
        loan = (
            Loan.objects.select_for_update()
            .filter(lender_id=lender_id, loan_number__iexact=loan_number.strip())
            .first()
        )
        if not loan_facts_match(loan, billing_zip=billing_zip, vin_last6=vin_last6):
            LinkAttempt.objects.filter(pk=attempt.pk).update(failures=F("failures") + 1)
            left = MAX_LINK_FAILURES_PER_DAY - attempt.failures - 1
            outcome = LinkLocked(_LOCKED) if left <= 0 else AccessError(_NOT_FOUND)
        else:
            outcome = _link_owner(user, loan)
    if isinstance(outcome, AccessError):
        raise outcome  # raised after commit, so the failed try is counted
    return outcome


def _link_owner(user, loan: Loan) -> LoanLink | AccessError:
    links = {link.role: link for link in loan.links.all()}
    mine = next((link for link in links.values() if link.user_id == user.pk), None)
    if mine is not None and is_owner(mine.role):
        return mine
    free = [role for role in OWNER_ROLES_IN_LINK_ORDER if role not in links]
    if not free:
        return AccessError(
            "This loan is already linked to its borrower and co-borrower. If that is not "
            "right, call your lender."
        )
    if mine is not None:  # an invited third party who turns out to be a borrower
        mine.role = free[0]
        mine.save(update_fields=["role", "updated_at"])
        link = mine
    else:
        link = LoanLink.objects.create(user=user, loan=loan, role=free[0])
    others = [existing.user for existing in links.values() if is_owner(existing.role)]
    if others:
        # Someone else proved the facts on file: the people already on the loan must know.
        transaction.on_commit(lambda: _notify_linked(loan, newcomer=user, recipients=others))
    return link


def _notify_linked(loan: Loan, *, newcomer, recipients) -> None:
    body = render_to_string(
        "loans/email/co_borrower_linked.txt",
        {"loan": loan, "newcomer": newcomer, "site_url": settings.SITE_URL},
    )
    for recipient in recipients:
        send_mail(
            f"Someone linked your loan {loan.loan_number} on iSmartPay",
            body,
            None,
            [recipient.email],
        )
