"""Accounts data: the user, profile, second factors, sign-in activity and the staff audit log."""

from .activity import SignInEvent
from .audit import AuditEvent
from .devices import RecoveryCode, RecoveryCodeDevice, TOTPDevice
from .profile import Profile
from .user import User, UserManager

__all__ = [
    "AuditEvent",
    "Profile",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "SignInEvent",
    "TOTPDevice",
    "User",
    "UserManager",
]
