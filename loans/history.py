"""Payments made before iSmartPay, and the figures every page shows from them and the ledger.

A loan's history has two parts: what the lender's servicing record says was paid before the
record's date (the import's optional columns, kept on the loan as `prior_*`), and the ledger's
postings made after that record was applied (`pk > prior_through_posting`). Each figure below
is the one place that adds them, so the dashboard, the loan page and the account activity page
can never disagree:

    interest_paid_figures(loan, year)   interest paid to date and in `year`
    paid_to_date(loan)                  dollars paid to date (payments net of their reversals)
    paid_figures(loan, year)            both, from one read of the ledger (the loan page)
    last_payment(loan)                  the latest payment, wherever it was recorded
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery, Sum

from ismartpay.core.money import ZERO, to_cents

from . import lock_objects
from .models import Loan, LoanPosting, received_expression

# The servicing import's optional history columns -> the loan field each one fills.
PRIOR_COLUMNS = {
    "payments_to_date": "prior_payments_total",
    "interest_paid_to_date": "prior_interest_paid",
    "interest_paid_this_year": "prior_interest_paid_year",
    "last_payment_date": "prior_last_payment_date",
    "last_payment_amount": "prior_last_payment_amount",
}

# Running totals: a record gives all three or none (the import checks), since together they
# restart the count of ledger postings added on top.
CUMULATIVE = ("prior_payments_total", "prior_interest_paid", "prior_interest_paid_year")


@dataclass(frozen=True)
class InterestPaid:
    to_date: Decimal
    this_year: Decimal
    year: int


@dataclass(frozen=True)
class LastPayment:
    date: dt.date
    amount: Decimal


def _ledger_payments(loan: Loan):
    """Payment postings and their reversals made after the lender's record was applied."""
    return LoanPosting.objects.filter(loan=loan, pk__gt=loan.prior_through_posting).filter(
        Q(kind=LoanPosting.Kind.PAYMENT)
        | Q(kind=LoanPosting.Kind.REVERSAL, reverses__kind=LoanPosting.Kind.PAYMENT)
    )


def _ledger_totals(loan: Loan, *, year: int | None) -> dict[str, Decimal]:
    """The ledger's payment sums since the lender's record, in one statement: interest to
    date (and in `year`, when given), and everything paid (the loan page shows both figures:
    one read)."""
    in_year = {}
    if year is not None:
        in_year["this_year"] = Sum("interest", default=ZERO, filter=Q(effective_date__year=year))
    return _ledger_payments(loan).aggregate(
        to_date=Sum("interest", default=ZERO),
        fees=Sum("fees", default=ZERO),
        principal=Sum("principal", default=ZERO),
        **in_year,
    )


def _interest_paid(loan: Loan, totals: dict[str, Decimal], *, year: int) -> InterestPaid:
    prior_year = ZERO
    if loan.prior_as_of is not None and loan.prior_as_of.year == year:
        prior_year = loan.prior_interest_paid_year
    return InterestPaid(
        to_date=to_cents(loan.prior_interest_paid + totals["to_date"]),
        this_year=to_cents(prior_year + totals["this_year"]),
        year=year,
    )


def _paid_to_date(loan: Loan, totals: dict[str, Decimal]) -> Decimal:
    ledger = totals["fees"] + totals["to_date"] + totals["principal"]
    return to_cents(loan.prior_payments_total + ledger)


def interest_paid_figures(loan: Loan, *, year: int) -> InterestPaid:
    """Interest paid: the lender's figures before its record, plus the ledger's since.
    The record's "this year" counts only when `year` is the record's year."""
    return _interest_paid(loan, _ledger_totals(loan, year=year), year=year)


def paid_to_date(loan: Loan) -> Decimal:
    """Dollars paid toward the loan to date (before iSmartPay + on the ledger, net of returns,
    refunds and reversals; money refunded as unapplied is not counted)."""
    return _paid_to_date(loan, _ledger_totals(loan, year=None))


def paid_figures(loan: Loan, *, year: int) -> tuple[InterestPaid, Decimal]:
    """`interest_paid_figures` and `paid_to_date` from one read of the ledger."""
    totals = _ledger_totals(loan, year=year)
    return _interest_paid(loan, totals, year=year), _paid_to_date(loan, totals)


def ledger_last_payment_query(loan_ref, postings=None):
    """Payment postings not reversed, latest first (`loan_ref`: a loan or an OuterRef):
    the first is the loan's last payment. `postings`: another manager of the ledger's rows
    (a migration's historical model); LoanPosting's by default."""
    postings = LoanPosting.objects if postings is None else postings
    return postings.filter(
        loan=loan_ref, kind=LoanPosting.Kind.PAYMENT, reversal__isnull=True
    ).order_by("-effective_date", "-pk")


def loans_refill_last_payment(*, loans=None, postings=None, batch: int = 2000) -> int:
    """Set every loan's kept last payment (`ledger_last_payment_*`, which loans/services.py
    keeps) from its ledger again, `batch` loans a transaction; returns how many changed.

    For after a deploy that adds the columns while processes of the code before it still
    post (migration 0014 runs this; `refill_last_payments` runs it again). Idempotent. Each
    batch's loans are locked first, in pk order as every writer locks them, so the UPDATE
    (a new snapshot) sees every payment committed before it and none is overwritten by an
    older read. `loans`/`postings`: a migration's historical managers."""
    loans = Loan.objects if loans is None else loans
    last = ledger_last_payment_query(OuterRef("pk"), postings)
    fill = {
        "ledger_last_payment_date": Subquery(last.values("effective_date")[:1]),
        "ledger_last_payment_amount": Subquery(
            last.annotate(amount=received_expression()).values("amount")[:1]
        ),
    }
    kept = ("pk", *fill)
    changed, after = 0, 0
    while True:
        with transaction.atomic(using=loans.db):
            ids = list(
                loans.filter(pk__gt=after)
                .order_by("pk")
                .select_for_update()
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return changed
            before = set(loans.filter(pk__in=ids).values_list(*kept))
            loans.filter(pk__in=ids).update(**fill)
            changed += len(set(loans.filter(pk__in=ids).values_list(*kept)) - before)
        after = ids[-1]


def last_payment(loan: Loan) -> LastPayment | None:
    """The loan's last payment from its row: the ledger's, kept with the balances
    (loans/services.py), or the lender record's, whichever is later (the ledger's on a tie).
    No query."""
    ledger, prior = loan.ledger_last_payment_date, loan.prior_last_payment_date
    if ledger is not None and (prior is None or ledger >= prior):
        return LastPayment(ledger, loan.ledger_last_payment_amount)
    if prior is not None and loan.prior_last_payment_amount is not None:
        return LastPayment(prior, loan.prior_last_payment_amount)
    return None


def loan_history_record(*, loan_id: int, figures: dict, on: dt.date) -> Loan:
    """Store the lender record's payment history (PRIOR_COLUMNS values; a key absent or None
    keeps what the loan had) as of `on`. The ledger's postings so far are the lender's: the
    record's figures include them, so only later postings are added on top."""
    with transaction.atomic():
        loan = lock_objects.loan_for_update(loan_id)
        given = {PRIOR_COLUMNS[k]: v for k, v in figures.items() if v is not None}
        if not given:
            return loan
        for name, value in given.items():
            setattr(loan, name, value)
        fields = [*given, "updated_at"]
        if given.keys() & set(CUMULATIVE):  # the totals are the record's as of `on`
            loan.prior_as_of = on
            loan.prior_through_posting = (
                LoanPosting.objects.filter(loan=loan).aggregate(last=Max("pk"))["last"] or 0
            )
            fields += ["prior_as_of", "prior_through_posting"]
        loan.save(update_fields=fields)
        return loan
