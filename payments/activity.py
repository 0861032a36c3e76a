"""Account activity: every money event on a loan, in order, with the running balance.

Built from the ledger (loans.LoanPosting, append-only, with the balances after each posting),
so the running balance after each posting *is* the ledger's: principal + interest + fees after
it. Around the postings:

- the interest a posting accrued first (`interest_accrued`) is its own "interest" entry, just
  before it (the balance rises by it, then the posting applies);
- money captured above what the loan could take and given back (Payment.unapplied_amount,
  refunded at `unapplied_refunded_at`) is a "refund" entry that leaves the balance unchanged.

Payments are joined by the posting's `external_ref` ("payment:<id>") for their channel,
method and reference, and to tell a return from a refund or a staff reversal. Three queries,
whatever the history's length. Labels are the presenter's (activity_presenter.py).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from ismartpay.core.money import ZERO
from loans.models import Loan, LoanPosting

from .models import Payment

K = LoanPosting.Kind
S = Payment.Status


class Kind:
    """What the borrower filters on."""

    PAYMENT = "payment"
    FEE = "fee"
    FEE_WAIVER = "fee_waiver"
    RETURN = "return"
    REVERSAL = "reversal"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    INTEREST = "interest"

    CHOICES = [
        (PAYMENT, "Payments"),
        (FEE, "Fees"),
        (FEE_WAIVER, "Fees waived"),
        (RETURN, "Returned payments"),
        (REVERSAL, "Reversals"),
        (REFUND, "Refunds"),
        (ADJUSTMENT, "Adjustments"),
        (INTEREST, "Interest"),
    ]


@dataclass(frozen=True)
class ActivityFilters:
    kind: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True)
class ActivityEntry:
    """One money event. `change` is what it did to the balance owed (negative: paid down)."""

    kind: str
    effective_date: dt.date
    change: Decimal
    balance_after: Decimal
    posting: LoanPosting | None = None
    payment: Payment | None = None  # the payment a payment/return/refund/reversal is about
    fees: Decimal = ZERO  # } what a posting applied to each balance (positive pays down)
    interest: Decimal = ZERO
    principal: Decimal = ZERO
    extra: dict = field(default_factory=dict)


def _balance(posting: LoanPosting) -> Decimal:
    return (
        posting.principal_balance_after + posting.accrued_interest_after + posting.unpaid_fees_after
    )


def _payment_id(external_ref: str) -> int | None:
    prefix, _, pk = external_ref.partition(":")
    return int(pk) if prefix == "payment" and pk.isdigit() else None


def _posting_kind(posting: LoanPosting, payment: Payment | None) -> str:
    if posting.kind == K.PAYMENT:
        return Kind.PAYMENT
    if posting.kind in (K.LATE_FEE, K.NSF_FEE):
        return Kind.FEE
    if posting.kind == K.FEE_WAIVER:
        return Kind.FEE_WAIVER
    if posting.kind == K.REVERSAL:
        if payment is not None and payment.status == S.RETURNED:
            return Kind.RETURN
        if payment is not None and payment.status == S.REFUNDED:
            return Kind.REFUND
        return Kind.REVERSAL
    return Kind.ADJUSTMENT  # lender record updates, payoff residual write-offs


def opening_balance(loan: Loan, first: LoanPosting | None) -> Decimal:
    """The balance before the ledger's first posting (the lender's record when imported)."""
    if first is None:
        return loan.principal_balance + loan.accrued_interest + loan.unpaid_fees
    return _balance(first) + first.total - first.interest_accrued


def loan_activity(loan: Loan, filters: ActivityFilters | None = None) -> list[ActivityEntry]:
    """Every money event on `loan`, oldest first, each with the balance after it; filtered
    afterwards, so a filtered list still shows the true running balance."""
    filters = filters or ActivityFilters()
    postings = list(LoanPosting.objects.filter(loan=loan).select_related("reverses").order_by("pk"))
    ids = {_payment_id(p.external_ref) for p in postings} - {None}
    payments = {
        p.pk: p
        for p in Payment.objects.filter(
            Q(pk__in=ids) | Q(loan=loan, unapplied_refunded_at__isnull=False)
        )
    }
    refunds_by_posting, loose_refunds = _unapplied_refunds(payments.values())

    entries: list[ActivityEntry] = []
    for posting in postings:
        payment = payments.get(_payment_id(posting.external_ref))
        after = _balance(posting)
        entries += _posting_entries(posting, payment, after)
        for refunded in refunds_by_posting.get(posting.pk, []):
            entries.append(_unapplied_refund(refunded, after))
    for refunded in loose_refunds:  # never reached the ledger: place it by its date
        entries.append(_unapplied_refund(refunded, None))
    entries = _place_loose(entries, opening_balance(loan, postings[0] if postings else None))
    return [entry for entry in entries if _matches(entry, filters)]


def _unapplied_refunds(payments) -> tuple[dict[int, list[Payment]], list[Payment]]:
    """Payments whose unapplied part was refunded: by the posting they came with, and those
    that never reached the ledger."""
    refunds_by_posting: dict[int, list[Payment]] = {}
    loose_refunds: list[Payment] = []
    for payment in payments:
        if payment.unapplied_refunded_at is None or not payment.unapplied_amount:
            continue
        if payment.loan_posting_id:
            refunds_by_posting.setdefault(payment.loan_posting_id, []).append(payment)
        else:
            loose_refunds.append(payment)
    return refunds_by_posting, loose_refunds


def _posting_entries(
    posting: LoanPosting, payment: Payment | None, after: Decimal
) -> list[ActivityEntry]:
    """The interest the posting accrued (when any), then the posting itself."""
    entries = []
    if posting.interest_accrued:
        entries.append(
            ActivityEntry(
                kind=Kind.INTEREST,
                effective_date=posting.effective_date,
                change=posting.interest_accrued,
                balance_after=after + posting.total,
                posting=posting,
            )
        )
    entries.append(
        ActivityEntry(
            kind=_posting_kind(posting, payment),
            effective_date=posting.effective_date,
            change=-posting.total,
            balance_after=after,
            posting=posting,
            payment=payment,
            fees=posting.fees,
            interest=posting.interest,
            principal=posting.principal,
        )
    )
    return entries


def _unapplied_refund(payment: Payment, balance: Decimal | None) -> ActivityEntry:
    return ActivityEntry(
        kind=Kind.REFUND,
        effective_date=timezone.localdate(payment.unapplied_refunded_at),
        change=ZERO,
        balance_after=balance if balance is not None else ZERO,
        payment=payment,
        extra={"unapplied": payment.unapplied_amount, "loose": balance is None},
    )


def _place_loose(entries: list[ActivityEntry], opening: Decimal) -> list[ActivityEntry]:
    """Refunds of money never posted go in date order; the balance is the one before them."""
    placed = [e for e in entries if not e.extra.get("loose")]
    for loose in (e for e in entries if e.extra.get("loose")):
        index = sum(1 for e in placed if e.effective_date <= loose.effective_date)
        before = placed[index - 1].balance_after if index else opening
        placed.insert(
            index,
            ActivityEntry(
                kind=loose.kind,
                effective_date=loose.effective_date,
                change=ZERO,
                balance_after=before,
                payment=loose.payment,
                extra={"unapplied": loose.extra["unapplied"]},
            ),
        )
    return placed


def _matches(entry: ActivityEntry, filters: ActivityFilters) -> bool:
    if filters.kind and entry.kind != filters.kind:
        return False
    if filters.date_from and entry.effective_date < filters.date_from:
        return False
    return not (filters.date_to and entry.effective_date > filters.date_to)
