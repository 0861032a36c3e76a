"""Who may see or pay a loan: linking by the facts on file, third-party invitations, and the
private calendar-feed token. One service per state change, each in its own transaction."""

import datetime as dt
import hashlib
import secrets

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.activity import activity_record
from accounts.models import AccountEvent

from .facts import loan_facts_match
from .lock_objects import loan_for_update
from .models import CalendarFeed, LinkAttempt, Loan, LoanInvitation, LoanLink
from .permissions import OWNER_ROLES, OWNER_ROLES_IN_LINK_ORDER, is_owner

MAX_LINK_FAILURES_PER_DAY = 5
INVITATION_MAX_AGE = dt.timedelta(days=7)
# Invitations email addresses the inviter chooses: a few a day, so the portal is no relay.
# Counted over the last 24 hours, revoked ones included (revoking gives none back).
MAX_INVITATIONS_PER_INVITER = 5
MAX_INVITATIONS_PER_LOAN = 3
INVITATION_WINDOW = dt.timedelta(hours=24)
INVITATION_SUBJECT = "A car loan was shared with you on iSmartPay"  # never free text
_INVITATION_SALT = "loans.invitation"
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


# --- Authorized third parties -------------------------------------------------------------


def invitation_token(invitation: LoanInvitation) -> str:
    return signing.dumps({"i": invitation.pk}, salt=_INVITATION_SALT, compress=True)


def _verified_email(user) -> str | None:
    address = (
        EmailAddress.objects.filter(user=user, verified=True).order_by("-primary", "pk").first()
    )
    return address.email if address else None


def _invitation_quota_check(*, loan: Loan, invited_by, now: dt.datetime) -> None:
    """Refuse past MAX_INVITATIONS_PER_LOAN / _PER_INVITER in INVITATION_WINDOW. Call under the
    inviter's and the loan's row locks, so concurrent invitations cannot both pass."""
    recent = LoanInvitation.objects.filter(created_at__gt=now - INVITATION_WINDOW)
    if recent.filter(loan=loan).count() >= MAX_INVITATIONS_PER_LOAN:
        raise AccessError(
            f"This loan has been shared {MAX_INVITATIONS_PER_LOAN} times in the last 24 hours, "
            "the most allowed. Try again tomorrow."
        )
    if recent.filter(invited_by=invited_by).count() >= MAX_INVITATIONS_PER_INVITER:
        raise AccessError(
            f"You have sent {MAX_INVITATIONS_PER_INVITER} invitations in the last 24 hours, "
            "the most allowed. Try again tomorrow."
        )


def loan_invite(*, loan: Loan, invited_by, email: str, name: str, role: str) -> LoanInvitation:
    """Invite someone by email to view (or view and pay) a loan the inviter owns.

    The email carries a signed link valid for 7 days, for the invited address only (see
    loan_invitation_accept). Only the borrower or co-borrower, with a verified email, can
    invite, a few times a day; the email names them by that verified address, and its subject
    is fixed text.
    """
    if not is_owner(getattr(loan, "link_role", None)):
        raise AccessError("Only the borrower or co-borrower can invite someone.")
    if email.strip().lower() == invited_by.email.lower():
        raise AccessError("You already have access to this loan.")
    inviter_email = _verified_email(invited_by)
    if inviter_email is None:
        raise AccessError("Confirm your email address before sharing a loan.")
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=invited_by.pk).first()
        loan_for_update(loan.pk)  # serialises the per-loan invitation quota
        _invitation_quota_check(loan=loan, invited_by=invited_by, now=timezone.now())
        invitation = LoanInvitation.objects.create(
            loan=loan, invited_by=invited_by, email=email.strip(), name=name.strip(), role=role
        )
        activity_record(
            user=invited_by,
            kind=AccountEvent.Kind.THIRD_PARTY_INVITED,
            detail=f"{invitation.email} to loan {loan.loan_number} "
            f"({invitation.get_role_display()})",
        )
        url = settings.SITE_URL + reverse(
            "loan_invitation_accept", args=[invitation_token(invitation)]
        )
        context = {
            "invitation": invitation,
            "inviter_email": inviter_email,
            "vehicle": loan.vehicle,
            "lender": loan.lender.name,
            "url": url,
            "days": INVITATION_MAX_AGE.days,
        }
        body = render_to_string("loans/email/invitation.txt", context)
        transaction.on_commit(lambda: send_mail(INVITATION_SUBJECT, body, None, [invitation.email]))
    return invitation


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def invitation_recipient_check(invitation: LoanInvitation, user) -> None:
    """The invitation is bound to the address it was sent to: only an account with that
    address, verified, may accept it (a forwarded or leaked link opens nothing)."""
    if not EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists():
        raise AccessError(
            f"This invitation was sent to {_masked(invitation.email)}. Sign in with that "
            "address to accept it, or ask the person who shared the loan to invite the "
            "address you use."
        )


def invitation_from_token(token: str, *, user=None) -> LoanInvitation:
    """The pending invitation a link names, or AccessError if it is bad, expired, revoked, or
    (given `user`) not addressed to that user's verified email."""
    try:
        data = signing.loads(token, salt=_INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        raise AccessError("This invitation has expired. Ask for a new one.") from None
    except signing.BadSignature:
        raise AccessError("This invitation link is not valid.") from None
    invitation = (
        LoanInvitation.objects.select_related("loan", "loan__lender", "invited_by")
        .filter(pk=data.get("i"))
        .first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise AccessError("This invitation was withdrawn.")
    if invitation.accepted_at is not None:
        raise AccessError("This invitation has already been accepted.")
    if user is not None:
        invitation_recipient_check(invitation, user)
    return invitation


def loan_invitation_accept(*, token: str, user) -> LoanLink:
    """Accept an invitation: the signed-in user, whose verified email is the invited one, gets
    viewer or payer access to the loan."""
    with transaction.atomic():
        pending = invitation_from_token(token, user=user)
        invitation = LoanInvitation.objects.select_for_update().get(pk=pending.pk)
        if invitation.revoked_at is not None or invitation.accepted_at is not None:
            raise AccessError("This invitation is no longer available.")
        if invitation.invited_by_id == user.pk:
            raise AccessError("You cannot accept your own invitation.")
        link = LoanLink.objects.filter(user=user, loan_id=invitation.loan_id).first()
        if link is not None and is_owner(link.role):
            raise AccessError("You already have this loan on your account.")
        if link is None:
            link = LoanLink.objects.create(
                user=user, loan_id=invitation.loan_id, role=invitation.role
            )
        else:
            link.role = invitation.role
            link.save(update_fields=["role", "updated_at"])
        invitation.accepted_by = user
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_by", "accepted_at", "updated_at"])
        return link


def loan_invitation_revoke(*, loan: Loan, invitation_id: int, by) -> LoanInvitation:
    """Withdraw an invitation; an accepted one loses its access at once."""
    if not is_owner(getattr(loan, "link_role", None)):
        raise AccessError("Only the borrower or co-borrower can change who has access.")
    with transaction.atomic():
        invitation = LoanInvitation.objects.select_for_update().get(pk=invitation_id, loan=loan)
        if invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at", "updated_at"])
            activity_record(
                user=by,
                kind=AccountEvent.Kind.THIRD_PARTY_REMOVED,
                detail=f"{invitation.email} from loan {loan.loan_number}",
            )
        if invitation.accepted_by_id is not None:
            LoanLink.objects.filter(loan=loan, user_id=invitation.accepted_by_id).exclude(
                role__in=OWNER_ROLES
            ).delete()
        return invitation


# --- Private calendar feed ----------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_rotate(*, user) -> str:
    """Create (or replace) the user's private feed token; the old URL stops working at once.

    Returns the new token: it is shown once and only its SHA-256 is stored.
    """
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(user=user, defaults={"token_sha256": _digest(token)})
    return token


def calendar_feed_revoke(*, user) -> None:
    CalendarFeed.objects.filter(user=user).delete()


def calendar_feed_owner(token: str):
    """The user whose feed `token` opens, or None (looked up by hash, never by the token)."""
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_sha256=_digest(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user
