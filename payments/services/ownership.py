"""Money belongs to the lender that received it. Every staff step that sends held or posted
money to a loan — applying suspense, moving a misapplied payment, matching a remittance line —
asks this one function first. Each lender is a separate client whose trust money is its own;
posting one lender's receipts to another's loan would credit a borrower with money their
lender never got."""

from loans.models import Loan

from ..errors import OtherLender


def money_lender_check(*, lender_id: int | None, loan: Loan) -> None:
    """Refuse (OtherLender) when `loan` is not a loan of lender `lender_id`. An item held before
    lenders were recorded (lender_id None) is refused too: nobody can say whose money it is."""
    if lender_id is None:
        raise OtherLender(
            "This money has no lender recorded (held before lenders were tracked); an engineer "
            "must set its lender before it can go to a loan."
        )
    if loan.lender_id != lender_id:
        raise OtherLender(
            f"Loan {loan.loan_number} belongs to {loan.lender.name}; this money was received "
            "for another lender and can only go to that lender's loans."
        )
