"""Accounts data: the user, profile, second factors, sign-in activity and the staff audit log."""

from .activity import AccountEvent, SignInEvent
from .audit import AuditEvent
from .devices import RecoveryCode, RecoveryCodeDevice, TOTPDevice
from .messages import SupportMessage, SupportThread
from .profile import Profile
from .user import User, UserManager

__all__ = [
    "AccountEvent",
    "AuditEvent",
    "Profile",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "SignInEvent",
    "SupportMessage",
    "SupportThread",
    "TOTPDevice",
    "User",
    "UserManager",
]
