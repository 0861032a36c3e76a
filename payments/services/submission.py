"""Taking a payment: create the row (idempotency key committed first) once the charge gate,
the duplicate check and the risk rules let it through, then charge it (charging.py). Safe under
double submit and concurrent requests."""

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from ismartpay.core.today import business_date
from loans import lock_objects as loan_locks
from loans.models import Loan
from loans.permissions import is_owner, is_third_party, loan_role

from .. import authorizations, rules
from ..errors import DuplicateSuspected
from ..models import Payment, PaymentMethod
from ..notifications import payment_notice_queue
from ..preview import payment_effective_date
from ..risk import risk_flags
from .charging import payment_charge
from .events import record_created
from .gate import charge_refusal, raise_refusal

S = Payment.Status
DUPLICATE_WINDOW = dt.timedelta(minutes=10)
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone


def new_reference() -> str:
    """The letter P and 10 characters of the 32-letter alphabet, from 50 random bits, 5 a
    character, lowest first (one call to the OS's random source, not ten: ≈ 2 µs instead of
    14, once per payment)."""
    bits = secrets.randbits(50)
    body = "".join(_REFERENCE_ALPHABET[(bits >> shift) & 31] for shift in range(0, 50, 5))
    return f"P{body[:5]}-{body[5:]}"


def new_idempotency_key() -> str:
    return f"pay_{secrets.token_urlsafe(24)}"


def payment_submit(
    *,
    loan_id: int,
    method: PaymentMethod,
    amount: Decimal,
    idempotency_key: str,
    payer=None,
    payer_email: str,
    scheduled_for: dt.date | None = None,
    principal_only: bool = False,
    is_payoff: bool = False,
    authorization_text: str = "",
    authorization_version: str = "",
    confirm_duplicate: bool = False,
    source: str = Payment.Source.ONE_TIME,
    channel: str = Payment.Channel.PORTAL,
    actor_label: str = "borrower",
    now: dt.datetime | None = None,
    business_date: dt.date | None = None,
) -> Payment:
    """Create (or find, by idempotency key) the payment and, unless it is scheduled for a later
    day, charge it now. Returns the payment in its resulting state.

    `business_date` is a nightly run's date: the payment counts on that date whatever the
    clock says, so a catch-up run for a missed night costs the borrower no interest or fee."""
    # The text's version (payments.authorizations): the one-time texts' unless given.
    version = authorization_version or (
        authorizations.ONE_TIME_VERSION if authorization_text else ""
    )
    payment = _create(
        loan_id=loan_id,
        idempotency_key=idempotency_key,
        asked=Asked(scheduled_for, confirm_duplicate, actor_label, now or timezone.now()),
        business_date=business_date,
        fields={
            **{"method": method, "amount": amount, "payer": payer, "payer_email": payer_email},
            **{"principal_only": principal_only, "source": source, "is_payoff": is_payoff},
            **{"authorization_text": authorization_text, "authorization_version": version},
            "channel": channel,
        },
    )
    if payment.status == S.SUBMITTING:
        return payment_charge(payment_id=payment.pk, actor_label=actor_label)
    return payment


@dataclass(frozen=True)
class Asked:
    """How a payment was asked for, beyond the row's own fields."""

    scheduled_for: dt.date | None
    confirm_duplicate: bool
    actor_label: str
    now: dt.datetime


def _create(
    *, loan_id: int, idempotency_key: str, asked: Asked, business_date, fields: dict
) -> Payment:
    """The payment row, under the loan's lock, once the gate, the duplicate check and the risk
    rules have run; an existing payment with the key is returned as it is."""
    try:
        with transaction.atomic():
            # The loan's row lock serializes payments on one loan: the key check, the duplicate
            # check and the payoff check cannot race with another tab or device.
            loan = loan_locks.loan_for_update(loan_id)
            existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
            # The same rule the review page showed (payments/preview.py).
            today, effective, later = payment_effective_date(
                lender=loan.lender,
                now=asked.now,
                scheduled_for=asked.scheduled_for,
                business_day=business_date,
            )
            _refuse_or_confirm(loan, fields, asked, effective=effective, today=today)
            dates = (today, effective, later)
            return _insert(loan, fields, asked, key=idempotency_key, dates=dates)
    except IntegrityError:
        # The same key committed by a concurrent request: that request owns the charge.
        return Payment.objects.get(idempotency_key=idempotency_key)


def _refuse_or_confirm(loan: Loan, fields: dict, asked: Asked, *, effective, today) -> None:
    """The charge gate's refusal, then (unless confirmed) a suspected second payment, raised."""
    refusal = charge_refusal(
        loan=loan,
        method=fields["method"],
        payer=fields["payer"],
        amount=fields["amount"],
        principal_only=fields["principal_only"],
        effective=effective,
        on=today,
    )
    if refusal is not None:
        raise_refusal(refusal)
    if not asked.confirm_duplicate:
        _check_duplicate(loan.pk, fields["amount"], asked.now, shown_to=(fields["payer"], asked))


def _insert(loan: Loan, fields: dict, asked: Asked, *, key: str, dates) -> Payment:
    """The row (HELD when a risk rule flags it, SCHEDULED for a later day, else SUBMITTING),
    its created event and the notices it owes."""
    today, effective, later = dates
    method, payer = fields["method"], fields["payer"]
    amount = fields["amount"]
    flags = risk_flags(loan=loan, method=method, amount=amount, payer=payer, now=asked.now)
    payment = Payment.objects.create(
        reference=new_reference(),
        idempotency_key=key,
        loan=loan,
        method_kind=method.kind,
        method_label=method.label,
        fee_amount=rules.card_fee(
            method_kind=method.kind, lender_card_fee=loan.lender.card_convenience_fee
        ),
        scheduled_for=asked.scheduled_for or today,
        effective_date=effective,
        status=S.HELD if flags else S.SCHEDULED if later else S.SUBMITTING,
        risk_flags=flags,
        **fields,
    )
    record_created(payment, actor=payer, actor_label=asked.actor_label)
    if is_third_party(asked.actor_label):  # actor_label is the payer's role on the loan
        payment_notice_queue(payment, "third_party_paid")  # the owners are told
    if flags:
        payment_notice_queue(payment, "held")
    return payment


# The second-payment question for a guest or a third party: what the owners scheduled is theirs
# (anyone with the loan number, ZIP and VIN can pay as a guest: the re-review helper-79).
UNNAMED_QUESTION = (
    "A payment is already on the way for this loan's next due date. Is this a second payment?"
)


def _may_see_payments(loan_id: int, payer, asked: Asked) -> bool:
    """An owner paying, or staff taking the payment: they may see the loan's payments."""
    if asked.actor_label.startswith("staff"):
        return True
    return is_owner(loan_role(user_id=getattr(payer, "pk", None), loan_id=loan_id))


def _recent_said(status: str, scheduled_for: dt.date) -> str:
    """What the 10-minute question says of the recent payment: a held one is not made yet
    (the new-user review helper-71), nor is a scheduled one (nothing charged before its day)."""
    recently = "on this loan in the last 10 minutes"
    if status == S.HELD:
        return f"made {recently} is held for a quick check (nothing charged yet)"
    if status == S.SCHEDULED:
        return f"was scheduled {recently}, for {scheduled_for:%b} {scheduled_for.day}"
    return f"was made {recently}"


def _check_duplicate(loan_id: int, amount: Decimal, now: dt.datetime, *, shown_to) -> None:
    recent = Payment.objects.filter(
        loan_id=loan_id, amount=amount, created_at__gte=now - DUPLICATE_WINDOW
    ).exclude(status__in=[S.FAILED, S.CANCELLED])
    if found := recent.values_list("status", "scheduled_for").first():
        raise DuplicateSuspected(
            f"A payment of ${amount:,} {_recent_said(*found)}. Is this a second payment?"
        )
    # A scheduled or held payment, or the next autopay debit, on the way for this due date
    # and `amount` more than it leaves to pay (payments/upcoming.py, the rule the dashboard's
    # "nothing more to pay" reads).
    from ..upcoming import second_payment_question

    loan = Loan.objects.select_related("lender").get(pk=loan_id)
    today = business_date(loan.lender, now)
    if question := second_payment_question(loan, today=today, amount=amount):
        if not _may_see_payments(loan_id, *shown_to):
            question = UNNAMED_QUESTION
        raise DuplicateSuspected(question)
