"""A small book for the staff dashboard and search tests (issue 13, "Dashboard and search"):
on business date 2026-11-24, payments in three channels, a decline, a pending bank debit, a
held payment, a pending four-eyes request, a suspense item, job runs and loans past due in
two buckets. Rows are written directly: these tests read figures, services are proven elsewhere.
"""

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

from factories import LenderFactory, LoanFactory, LoanLinkFactory, UserFactory

from loans.models import Loan, StaffRequest
from payments.models import JobRun, Payment, PaymentMethod, SuspenseItem

TODAY = dt.date(2026, 11, 24)
YESTERDAY = dt.date(2026, 11, 23)
INSTALLMENT = Decimal("483.32")  # $25,000 at 6 % for 60 months
_seq = itertools.count(1)


def loan_paid_through(installments: int, **extra) -> Loan:
    """A $25,000 loan due the 5th from 2026-02-05 with `installments` of them paid."""
    return LoanFactory(
        principal_balance=Decimal("21335.10"),
        interest_accrued_through=dt.date(2026, 11, 5),
        paid_toward_installments=INSTALLMENT * installments,
        **extra,
    )


def method(owner, *, kind="card", last4="4242", brand="visa", account_number=""):
    n = next(_seq)
    return PaymentMethod.objects.create(
        owner=owner,
        kind=kind,
        processor_token=f"tok_fixture_{n}",
        last4=last4,
        brand=brand if kind == "card" else "",
        account_type="checking" if kind == "bank" else "",
        account_number=account_number,
        routing_number="110000000" if kind == "bank" else "",
    )


def payment(loan, amount, *, status="posted", channel="portal", on=TODAY, pm=None, **extra):
    n = next(_seq)
    if pm is not None:
        label = pm.label
    else:
        label = extra.pop("method_label", f"{Payment.Channel(channel).label} #{n}")
    return Payment.objects.create(
        reference=extra.pop("reference", f"PFIX{n:04d}-ABCDE"),
        idempotency_key=f"fixture:{n}",
        loan=loan,
        payer_email=extra.pop("payer_email", "payer@example.com"),
        method=pm,
        method_kind=pm.kind if pm is not None else "",
        method_label=label,
        channel=channel,
        source="one_time" if channel == "portal" else "staff",
        amount=Decimal(amount),
        scheduled_for=on,
        effective_date=on,
        status=status,
        **extra,
    )


@dataclass
class Book:
    dana: object
    lee: object
    current: Loan
    late_19: Loan
    late_50: Loan
    card: PaymentMethod
    bank: PaymentMethod
    lee_card: PaymentMethod
    check: Payment
    wire: Payment


def small_book(agent, supervisor) -> Book:
    lender = LenderFactory(name="Harbor Auto Credit")
    dana = UserFactory(
        email="dana.fixture@example.com", full_name="Dana Quill", phone="555-201-7788"
    )
    lee = UserFactory(
        email="lee.fixture@example.com", full_name="Lee Marrow", phone="(555) 309-1144"
    )
    current = loan_paid_through(10, lender=lender, loan_number="HAC-1001", vin="1FTFW1E50PKD12345")
    late_19 = loan_paid_through(9, lender=lender, loan_number="HAC-1002", vin="2T1BURHE0KC654321")
    late_50 = loan_paid_through(8, lender=lender, loan_number="HAC-1003", vin="3VWDX7AJ5DM777888")
    LoanLinkFactory(user=dana, loan=current)
    LoanLinkFactory(user=lee, loan=late_19)

    card = method(dana, last4="4242")
    bank = method(dana, kind="bank", last4="6789", account_number="000123456789")
    lee_card = method(lee, last4="4444", brand="mastercard")

    # Today, three channels: online (card, twice), check, wire.
    payment(current, "100.00", pm=card, payer_email=dana.email, payer=dana)
    payment(current, "50.25", pm=card, payer_email=dana.email, payer=dana)
    check = payment(late_19, "300.00", channel="check", channel_reference="1234")
    wire = payment(late_50, "1000.00", channel="wire", channel_reference="FED20261124A")
    # A decline today; a bank debit at the bank (made yesterday); a payment held for review.
    payment(late_19, "75.00", pm=lee_card, status="failed", decline_code="insufficient_funds")
    payment(current, "200.00", pm=bank, status="pending", on=YESTERDAY, payer=dana)
    payment(late_50, "2500.00", pm=lee_card, status="held", risk_flags=["amount_above_usual"])
    # Not today's: posted yesterday, and a payment reversed today (not counted).
    payment(current, "999.99", pm=card, on=YESTERDAY)
    payment(current, "12.00", channel="check", status="reversed", channel_reference="99")

    StaffRequest.objects.create(
        kind="waive_fee",
        loan=late_19,
        amount=Decimal("150.00"),
        reason="Customer hardship call",
        requested_by=agent,
    )
    StaffRequest.objects.create(
        kind="waive_fee",
        loan=late_19,
        amount=Decimal("40.00"),
        reason="Rejected request here",
        requested_by=agent,
        decided_by=supervisor,
        status="rejected",
    )
    SuspenseItem.objects.create(
        idempotency_key="remit:LB-77",
        amount=Decimal("80.00"),
        balance=Decimal("60.00"),
        reason="unidentified",
        channel="lockbox",
        reference="LB-77",
        received_on=YESTERDAY,
    )
    SuspenseItem.objects.create(
        idempotency_key="remit:LB-78",
        amount=Decimal("25.00"),
        balance=Decimal("0.00"),
        reason="unidentified",
        channel="lockbox",
        reference="LB-78",
        received_on=YESTERDAY,
        status="cleared",
    )
    at = dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC)
    JobRun.objects.create(
        job="run_autopay",
        business_date=YESTERDAY,
        started_at=at - dt.timedelta(days=1),
        status="interrupted",
    )
    JobRun.objects.create(
        job="run_autopay",
        business_date=TODAY,
        started_at=at,
        finished_at=at,
        due=5,
        charged=4,
        failed=1,
        skipped=0,
        retried=2,
        status="finished",
    )
    JobRun.objects.create(
        job="settle_payments",
        business_date=TODAY,
        started_at=at,
        status="failed",
        error="OperationalError('boom')",
        due=3,
        charged=1,
    )
    return Book(dana, lee, current, late_19, late_50, card, bank, lee_card, check, wire)
