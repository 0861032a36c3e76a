"""Third-party invitations: an owner shares a loan with someone by email (a signed,
expiring link; a few a day), the invitee accepts it signed in as that address, an owner
revokes it."""

import datetime as dt

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.activity import activity_record
from accounts.models import AccountEvent

from .linking import AccessError
from .lock_objects import loan_for_update
from .models import Loan, LoanInvitation, LoanLink
from .permissions import OWNER_ROLES, is_owner

INVITATION_MAX_AGE = dt.timedelta(days=7)
# Invitations email addresses the inviter chooses: a few a day, so the portal is no relay.
# Counted over the last 24 hours, revoked ones included (revoking gives none back).
MAX_INVITATIONS_PER_INVITER = 5
MAX_INVITATIONS_PER_LOAN = 3
INVITATION_WINDOW = dt.timedelta(hours=24)
INVITATION_SUBJECT = "A car loan was shared with you on iSmartPay"  # never free text
_INVITATION_SALT = "loans.invitation"


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
