"""Issue 15 goal 1: the loan keeps the ledger's last payment (`ledger_last_payment_*`); the
loans that exist when the columns arrive get them from their postings, by the rule of
loans/history.ledger_last_payment_query (latest effective date, then latest posted, not
reversed; the amount received includes what was unapplied)."""

import datetime as dt
from decimal import Decimal

import pytest
from demo_loan import DEMO_LOAN
from migrations_helper import migrate_to, migrate_to_latest

BEFORE = [("loans", "0012_staff_request_remittance_apply_flag_fingerprint")]
AFTER = [("loans", "0014_fill_ledger_last_payment")]
MAR_5, APR_5 = dt.date(2026, 3, 5), dt.date(2026, 4, 5)


@pytest.mark.django_db(transaction=True)
def test_existing_loans_get_their_last_payment_from_the_ledger():
    apps = migrate_to(BEFORE)
    try:
        Lender = apps.get_model("loans", "Lender")
        Loan = apps.get_model("loans", "Loan")
        LoanPosting = apps.get_model("loans", "LoanPosting")
        lender = Lender.objects.create(name="Old Lender")

        def loan(number):
            return Loan.objects.create(
                lender=lender, loan_number=number, vin="1HGCM82633A004352", **DEMO_LOAN
            )

        def posting(on_loan, kind, day, **amounts):
            return LoanPosting.objects.create(
                loan=on_loan,
                kind=kind,
                effective_date=day,
                principal_balance_after=Decimal("21000.00"),
                accrued_interest_after=Decimal("0.00"),
                unpaid_fees_after=Decimal("0.00"),
                **amounts,
            )

        paid = loan("PAID")
        posting(paid, "payment", MAR_5, interest=Decimal("60.25"), principal=Decimal("39.75"))
        posting(paid, "payment", MAR_5, principal=Decimal("25.00"))  # same day, later: last
        returned = posting(paid, "payment", APR_5, principal=Decimal("483.32"))
        posting(paid, "reversal", APR_5, principal=Decimal("-483.32"), reverses=returned)
        posting(paid, "late_fee", APR_5, fees=Decimal("-25.00"), installment_number=2)
        payoff = loan("PAYOFF")
        posting(payoff, "payment", APR_5, principal=Decimal("475.25"), unapplied=Decimal("8.07"))
        loan("NONE")

        apps = migrate_to(AFTER)
        kept = {
            number: (day, amount)
            for number, day, amount in apps.get_model("loans", "Loan").objects.values_list(
                "loan_number", "ledger_last_payment_date", "ledger_last_payment_amount"
            )
        }
        assert kept == {
            "PAID": (MAR_5, Decimal("25.00")),
            "PAYOFF": (APR_5, Decimal("483.32")),
            "NONE": (None, None),
        }
    finally:
        migrate_to_latest()
