"""Renamed: what this module did lives in loans/linking.py (linking a loan by the facts on
file), loans/invitations.py (third-party invitations) and loans/calendar_feeds.py (the private
calendar-feed token). Every old name stays importable from here."""

from .calendar_feeds import calendar_feed_owner, calendar_feed_revoke, calendar_feed_rotate
from .invitations import (
    INVITATION_MAX_AGE,
    INVITATION_SUBJECT,
    INVITATION_WINDOW,
    MAX_INVITATIONS_PER_INVITER,
    MAX_INVITATIONS_PER_LOAN,
    invitation_from_token,
    invitation_recipient_check,
    invitation_token,
    loan_invitation_accept,
    loan_invitation_revoke,
    loan_invite,
)
from .linking import MAX_LINK_FAILURES_PER_DAY, AccessError, LinkLocked, email_verified, loan_link

__all__ = [
    "INVITATION_MAX_AGE",
    "INVITATION_SUBJECT",
    "INVITATION_WINDOW",
    "MAX_INVITATIONS_PER_INVITER",
    "MAX_INVITATIONS_PER_LOAN",
    "MAX_LINK_FAILURES_PER_DAY",
    "AccessError",
    "LinkLocked",
    "calendar_feed_owner",
    "calendar_feed_revoke",
    "calendar_feed_rotate",
    "email_verified",
    "invitation_from_token",
    "invitation_recipient_check",
    "invitation_token",
    "loan_invitation_accept",
    "loan_invitation_revoke",
    "loan_invite",
    "loan_link",
]
