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
from ismartpay.core.today import business_date
from loans.calendar import is_business_day
from loans.models import Loan

from ..authorizations import PHONE_SCRIPT_TEMPLATE, phone_script
from ..errors import PaymentError
from ..gateways.base import BankAccountInput, CardInput
from ..models import Payment
from ..timing import effective_date_for
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


# What the agent says in their own words while reading the script on the phone page.
AGENT_SAYS_AMOUNT = "[AMOUNT — say it]"
AGENT_SAYS_METHOD = "[CARD OR ACCOUNT ENDING — say the last 4 digits]"


def phone_page_script(*, loan: Loan | None, now: dt.datetime) -> str:
    """The script the phone page shows to read aloud. Opened for a loan: its lender, loan
    number and the lender's business date filled in, and, after the cut-off, when the payment
    will count; the amount and the card or account ending stay marked for the agent to say."""
    if loan is None:
        return PHONE_SCRIPT_TEMPLATE.format(
            lender="[lender]",
            amount="[amount]",
            method="[card or account ending ____]",
            date="[today's date]",
            loan_number="[loan number]",
        )
    script = PHONE_SCRIPT_TEMPLATE.format(
        lender=loan.lender.name,
        amount=AGENT_SAYS_AMOUNT,
        method=AGENT_SAYS_METHOD,
        date=_long_date(business_date(loan.lender, now)),
        loan_number=loan.loan_number,
    )
    return script + phone_counts_on_note(loan=loan, now=now)


def phone_counts_on_note(*, loan: Loan, now: dt.datetime) -> str:
    """'' when a payment taken now counts on the loan today; otherwise the sentence that says
    when it counts (payments.timing.effective_date_for: the one cut-off rule)."""
    lender = loan.lender
    today = business_date(lender, now)
    counts_on = effective_date_for(now=now, lender_tz=lender.timezone, cutoff=lender.cutoff_time)
    if counts_on == today:
        return ""
    why = (
        f"It is after {lender.name}'s cut-off"
        if is_business_day(today)
        else ("Today is not a business day")
    )
    return (
        f" {why}, so the payment counts on the loan on {_long_day(counts_on)} "
        "(the next business day)."
    )


def _long_date(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def phone_authorization_script(*, loan: Loan, amount: Decimal, method_label: str, on: dt.date):
    return phone_script(
        lender_name=loan.lender.name,
        loan_number=loan.loan_number,
        method_label=method_label,
        amount=amount,
        on=on,
    )


HELD_FOR_REVIEW = (
    " The payment is held for review: the card or account will not be charged until a "
    "supervisor approves it."
)


def phone_confirmation(payment: Payment) -> str:
    """What the agent reads back. A payment held for review was not charged: it says so, and
    not when it counts (that is set when a supervisor approves it). Otherwise, when it counts
    on the loan on a later day than it was taken (`scheduled_for`: after the cut-off, or on a
    non-business day), that day too."""
    text = (
        f"{payment.get_status_display()}. Confirmation number {payment.reference} "
        "— read it back to the borrower."
    )
    if payment.status == Payment.Status.HELD:
        return text + HELD_FOR_REVIEW
    day = payment.effective_date
    if day != payment.scheduled_for:
        text += f" It counts on the loan on {_long_day(day)} (the next business day)."
    return text


def _long_day(day: dt.date) -> str:
    return f"{day:%A, %B} {day.day}, {day.year}"


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
        loan=loan, amount=amount, method_label=method.label, on=business_date(loan.lender, now)
    ) + phone_counts_on_note(loan=loan, now=now)  # what the page had the agent read
    return (
        f"Verbal authorization by phone from {authorized_by} to agent {actor.email} at "
        f"{local_now.isoformat(timespec='seconds')}. Read: {script}"
    )
