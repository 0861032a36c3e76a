"""A payment taken over the phone by an agent: the card or bank account the borrower reads out
is tokenized at the processor (never stored raw, as on the borrower's own form), then the
payment goes through the SAME `payment_submit` → `payment_charge` as the borrower's, so the
charge gate runs under the loan's lock before the processor is called. The borrower's verbal
authorization (who, when, to which agent, the text read) is kept on the payment's
`authorization_text`; the payment's reference is the confirmation number read back."""

import datetime as dt
import uuid
from decimal import Decimal

from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from loans.models import Loan

from ..authorizations import PHONE_SCRIPT_TEMPLATE, phone_script
from ..errors import PaymentError
from ..gateways.base import BankAccountInput, CardInput
from ..models import Payment
from .methods import payment_method_add_bank, payment_method_add_card
from .received import _borrower_email
from .submission import new_idempotency_key, payment_submit

# Read to the borrower word for word before the charge; {amount}, {method}, {date} filled in.
PHONE_AUTHORIZATION_SCRIPT = PHONE_SCRIPT_TEMPLATE  # lives in payments.authorizations


# The phone payment's idempotency key namespace (attacker review: the form's hidden key took
# any string, so `suspense:x` hid the payment from the dashboard and a check's key set ahead
# swallowed the real check). The page issues a signed uuid; the service takes only `phone:`.
PHONE_KEY_PREFIX = "phone:"
PHONE_KEY_REFUSED = "This form was not issued by this page; open the page again to start a new one."
_PHONE_KEY_SALT = "payments.phone-form-key"


def phone_form_key() -> str:
    """The hidden key the phone page renders: a uuid this server signed (76 characters)."""
    return signing.Signer(salt=_PHONE_KEY_SALT).sign(uuid.uuid4().hex)


def phone_key_from_form(value: str) -> str:
    """The payment's idempotency key for a form's hidden key: `phone:<uuid>`, or PaymentError
    when this server did not sign it."""
    try:
        raw = signing.Signer(salt=_PHONE_KEY_SALT).unsign(value or "")
    except signing.BadSignature as exc:
        raise PaymentError(PHONE_KEY_REFUSED) from exc
    return PHONE_KEY_PREFIX + raw


def phone_authorization_script(*, loan: Loan, amount: Decimal, method_label: str, on: dt.date):
    return phone_script(
        lender_name=loan.lender.name,
        loan_number=loan.loan_number,
        method_label=method_label,
        amount=amount,
        on=on,
    )


def payment_take_by_phone(
    *,
    loan_id: int,
    amount: Decimal,
    authorized_by: str,
    actor,
    idempotency_key: str,
    card: CardInput | None = None,
    bank: BankAccountInput | None = None,
    confirm_duplicate: bool = False,
    now: dt.datetime | None = None,
) -> Payment:
    """Tokenize what the agent typed, then submit and charge it like the borrower's own
    payment. `authorized_by` is the name of the person who gave the verbal authorization.
    Raises the same domain errors as the borrower's form (the gate's refusal, a duplicate)."""
    # Kept whole: a phone payment in the order it happens (check, tokenize, submit, audit);
    # the length is the submit and audit calls' keywords.
    if not idempotency_key.startswith(PHONE_KEY_PREFIX):  # never another channel's key
        raise PaymentError(PHONE_KEY_REFUSED)
    if (card is None) == (bank is None):
        raise PaymentError("Enter either a card or a bank account.")
    authorized_by = (authorized_by or "").strip()
    if not authorized_by:
        raise PaymentError("Who gave the authorization? Enter their name as they said it.")
    now = now or timezone.now()
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:  # a double click: the first request owns the charge
        if (existing.loan_id, existing.amount) != (loan_id, amount):
            raise PaymentError(
                "This form was already submitted for something else; open the page again to "
                "start a new one."
            )
        return existing
    loan = Loan.objects.select_related("lender").get(pk=loan_id)
    method = _one_time_method(card=card, bank=bank)
    authorization = _verbal_authorization(
        loan=loan, amount=amount, method=method, authorized_by=authorized_by, actor=actor, now=now
    )
    payment = payment_submit(
        loan_id=loan_id,
        method=method,
        amount=amount,
        idempotency_key=idempotency_key,
        payer=None,
        payer_email=_borrower_email(loan),
        authorization_text=authorization,
        confirm_duplicate=confirm_duplicate,
        source=Payment.Source.STAFF,
        channel=Payment.Channel.PHONE,
        actor_label="staff:phone",
        now=now,
    )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="payment.take_by_phone",
            target=payment,
            reason=f"Verbal authorization from {authorized_by}",
            details={
                "loan": loan.loan_number,
                "amount": str(amount),
                "method": method.label,
                "status": payment.status,
                "confirmation": payment.reference,
            },
        )
    return payment


def _one_time_method(*, card: CardInput | None, bank: BankAccountInput | None):
    """Tokenize the card or bank account the agent typed.

    A phone payment's method belongs to nobody (as a guest's): the agent is not its owner,
    and it is not saved to the borrower's wallet. Its own fresh key: a resubmitted form (after
    a duplicate warning or a refusal) tokenizes again instead of reusing a stored token."""
    if card is not None:
        return payment_method_add_card(owner=None, card=card, idempotency_key=new_idempotency_key())
    return payment_method_add_bank(owner=None, account=bank, idempotency_key=new_idempotency_key())


def _verbal_authorization(
    *, loan: Loan, amount: Decimal, method, authorized_by: str, actor, now: dt.datetime
) -> str:
    """The authorization text stored with the payment: who said yes, to whom, when, and the
    script the agent read."""
    local_now = timezone.localtime(now)
    script = phone_authorization_script(
        loan=loan, amount=amount, method_label=method.label, on=local_now.date()
    )
    return (
        f"Verbal authorization by phone from {authorized_by} to agent {actor.email} at "
        f"{local_now.isoformat(timespec='seconds')}. Read: {script}"
    )
