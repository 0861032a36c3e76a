"""Every row lock of the loans app, in one place.

Call these only inside `transaction.atomic()`. When several loans are locked, they are locked in
primary-key order, so two transactions can never wait on each other in a cycle.
"""

from collections.abc import Iterable

from ismartpay.core.arrays import any_of

from .models import Loan


def loan_for_update(loan_id: int) -> Loan:
    """Lock one loan row (not its lender) and return it with its lender loaded."""
    return Loan.objects.select_for_update(of=("self",)).select_related("lender").get(pk=loan_id)


def loans_for_update(loan_ids: Iterable[int]) -> list[Loan]:
    """Lock several loan rows in primary-key order."""
    return list(
        Loan.objects.select_for_update(of=("self",))
        .select_related("lender")
        .filter(any_of("pk", sorted(set(loan_ids))))
        .order_by("pk")
    )
