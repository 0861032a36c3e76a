"""Fees on the borrower's payment history page (issue 13): late and returned-payment
fees assessed and fees waived by staff, from the ledger. One query; the staff's
reason (the posting's memo) is internal and never shown to the borrower."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from loans.models import LoanPosting

K = LoanPosting.Kind
# What the borrower sees for each kind, and whether it added to (+) or took off (−) the balance.
LABELS = {
    K.LATE_FEE: ("Late fee", "+"),
    K.NSF_FEE: ("Returned-payment fee", "+"),
    K.FEE_WAIVER: ("Fee waived", "−"),
}
LIMIT = 20  # the most recent; the loan's statement has the rest


@dataclass(frozen=True)
class FeeLine:
    effective_date: dt.date
    loan_number: str
    label: str
    sign: str  # "+" adds to what is owed, "−" takes it off
    amount: Decimal  # dollars, positive


def fee_activity_for_user(user) -> list[FeeLine]:
    """Fee postings not reversed, on loans linked to `user`, newest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    postings = (
        LoanPosting.objects.filter(loan__links__user=user, kind__in=LABELS, reversal__isnull=True)
        .select_related("loan")
        .only("effective_date", "kind", "fees", "loan__loan_number")
        .order_by("-effective_date", "-pk")
        .distinct()[:LIMIT]
    )
    return [
        FeeLine(
            effective_date=p.effective_date,
            loan_number=p.loan.loan_number,
            label=LABELS[p.kind][0],
            sign=LABELS[p.kind][1],
            amount=p.fees,
        )
        for p in postings
    ]
