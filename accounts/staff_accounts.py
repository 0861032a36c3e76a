"""Staff accounts, made by `manage.py create_staff` (docs/servicing.md, "Staff accounts"): a
staff user in one role's group with no usable password, and a one-time set-password link
(allauth's password-reset key) to choose one. The first sign-in then asks for an
authenticator (the admin's second factor, accounts/second_factor.py)."""

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from .audit import audit_record
from .models import User
from .roles import SUPERVISOR, SUPPORT_AGENT

ROLES = {"agent": SUPPORT_AGENT, "supervisor": SUPERVISOR}


class StaffAccountError(Exception):
    pass


def set_password_link(user: User) -> str:
    """allauth's one-time reset link: valid until used or the password changes
    (PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL + path


@transaction.atomic
def staff_member_create(*, email: str, role: str, full_name: str = "") -> User:
    """A new staff member in `role` ("agent" or "supervisor"): staff, no usable password, the
    address verified (the set-password link goes to it), audited. Refuses an existing address
    (a borrower is never turned into staff here)."""
    if role not in ROLES:
        raise StaffAccountError(f"Role must be one of: {', '.join(ROLES)}.")
    email = User.objects.normalize_email(email.strip()).lower()
    if not email or "@" not in email:
        raise StaffAccountError("Enter the staff member's email address.")
    # Also an address a borrower added to their account but has not verified yet: two
    # accounts must never share one address (attacker review, round 2).
    taken = EmailAddress.objects.filter(email__iexact=email).exists()
    if taken or User.objects.filter(email__iexact=email).exists():
        raise StaffAccountError(f"{email} already has an account.")
    group = Group.objects.filter(name=ROLES[role]).first()
    if group is None:
        raise StaffAccountError("The staff groups are missing: run sync_staff_roles first.")
    user = User.objects.create_user(email, None, full_name=full_name, is_staff=True)
    user.groups.add(group)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    audit_record(actor=None, action="accounts.staff_create", target=user, details={"role": role})
    return user


def set_password_email_send(user: User, link: str) -> None:
    send_mail(
        subject="iSmartPay: set your staff password",
        message=(
            f"An iSmartPay staff account was made for {user.email}.\n\n"
            f"Choose your password here (the link works once):\n{link}\n\n"
            f"Then sign in at {settings.SITE_URL}/accounts/login/ and set up an authenticator "
            "app when asked: the staff pages need it every time.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )
