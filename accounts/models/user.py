import secrets

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac


def new_session_stamp() -> str:
    return secrets.token_hex(16)


class UserManager(BaseUserManager):
    """Users are identified by email; there is no username."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in: a borrower, or a member of staff (is_staff)."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    # Part of the session hash: changing it ends every other session (see sessions.py).
    session_stamp = models.CharField(max_length=32, default=new_session_stamp)
    # Kept in step with the user's confirmed devices by second_factor.py, so the
    # OTP middleware needs no query per request.
    has_second_factor = models.BooleanField(default=False)
    # Moved on by PostgreSQL (triggers, migration 0005) whenever one of the user's devices is
    # deleted, unconfirmed or given to another user or id, by any path; never lowered by a
    # save of a user read earlier. A session records the stamp with the device it verified
    # (accounts/device_check.py), so a page reads no device row while nothing changed.
    otp_devices_stamp = models.BigIntegerField(default=0, db_default=0, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        # Staff capabilities, granted through the roles in roles.py.
        permissions = [
            ("issue_refund", "Can issue refunds"),
            ("reverse_payment", "Can reverse payments"),
            ("waive_fee", "Can waive fees"),
            ("reset_second_factor", "Can reset a borrower's second factor"),
        ]

    def __str__(self) -> str:
        return self.email

    def _get_session_auth_hash(self, secret=None):
        # Django's hash covers the password only; the stamp lets us end sessions on demand.
        return salted_hmac(
            "accounts.User.session_auth_hash",
            f"{self.password}:{self.session_stamp}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split() or [self.email])[0]
