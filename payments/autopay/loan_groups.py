"""Debits in chunks and parts that never split one loan's debits.

batch.prepare sends a loan's first debit in its part down the set path and leaves the others
(a catch-up period, a retry beside the current period) to the one-debit path, after the part's
answers are posted: a later period's amount depends on the earlier one being on the ledger.
That holds only while all of a loan's due debits are in one part. Split between two parts, or
two chunks charged at once, each half's first debit is priced from a ledger that does not yet
show the other's payment: a "due"-rule plan was charged the missed installments twice, and a
loan near its end had its final period refused as "already on its way" (review of 056ee95).
"""

from collections.abc import Mapping


def split_by_loan(ids: list[int], loan_of: Mapping[int, int], size: int) -> list[list[int]]:
    """`ids` in lists of at most `size` (at least 1), ordered by loan, then id, with each
    loan's ids in one list; a loan with more than `size` ids gets a list of its own. An id
    whose loan is not in `loan_of` (a debit deleted meanwhile) stands alone."""

    def loan(pk: int) -> int:
        return loan_of.get(pk, -pk)  # loan ids are positive: -pk is nobody's loan

    groups: dict[int, list[int]] = {}
    for pk in sorted(ids, key=lambda pk: (loan(pk), pk)):
        groups.setdefault(loan(pk), []).append(pk)
    out: list[list[int]] = []
    current: list[int] = []
    size = max(size, 1)
    for group in groups.values():
        if current and len(current) + len(group) > size:
            out.append(current)
            current = []
        current += group
    if current:
        out.append(current)
    return out
