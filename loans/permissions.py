"""Who may do what on a loan: the one home of the role rules.

Roles come from `LoanLink.role`. The borrower and co-borrower own the loan; an authorized third
party either only reads (`viewer`) or may also pay (`payer`). An autopay plan is the owner's
standing authorization (Regulation E, 12 CFR 1005.10(b)): only an owner may set it up, change,
pause, skip or cancel it. A third party who pays acts only on the payments they made themselves.

Views, services, the charge gate and the admin call these; none of them compares roles itself.
"""

from .models import LoanLink

R = LoanLink.Role
# The first person to prove the facts on file becomes the borrower, the second the co-borrower.
OWNER_ROLES_IN_LINK_ORDER = (R.BORROWER, R.CO_BORROWER)
OWNER_ROLES = frozenset(OWNER_ROLES_IN_LINK_ORDER)
PAY_ROLES = OWNER_ROLES | {R.PAYER}
THIRD_PARTY_ROLES = frozenset({R.VIEWER, R.PAYER})  # invited by an owner; never owners


def loan_role(*, user_id: int | None, loan_id: int) -> str | None:
    """The user's role on the loan, or None when they have no link (or no account)."""
    if user_id is None:
        return None
    return (
        LoanLink.objects.filter(user_id=user_id, loan_id=loan_id)
        .values_list("role", flat=True)
        .first()
    )


def is_owner(role: str | None) -> bool:
    """Borrower or co-borrower: shares the debt, decides who else sees or pays the loan."""
    return role in OWNER_ROLES


def is_third_party(role: str | None) -> bool:
    """An invited viewer or payer: what they do to the loan's payments, its owners are told."""
    return role in THIRD_PARTY_ROLES


def can_view(role: str | None) -> bool:
    return role is not None


def can_pay(role: str | None) -> bool:
    return role in PAY_ROLES


def can_manage_autopay(role: str | None) -> bool:
    """Set up, change, pause, resume, skip or cancel the loan's autopay."""
    return role in OWNER_ROLES


def can_cancel_payment(
    *, role: str | None, user_id: int, payer_id: int | None, payer_role: str | None
) -> bool:
    """A scheduled payment is cancelled by the person who made it. An owner may also cancel a
    payment another owner made (they share the debt), never a third party's (it is their
    money and their authorization)."""
    if not can_pay(role):
        return False
    if payer_id == user_id:
        return True
    return role in OWNER_ROLES and payer_role in OWNER_ROLES
