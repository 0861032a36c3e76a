"""Issue 9, finding 8: loans that existed before `late_fees_assessed_through` get the value a
lender record without the column means, so a fee that came in as `unpaid_fees` is not assessed
again by the next nightly run."""

import datetime as dt
from decimal import Decimal

import pytest
from demo_loan import DEMO_LOAN
from migrations_helper import migrate_to, migrate_to_latest

BEFORE = [("loans", "0002_ledger_links_invitations_calendar")]
AFTER = [("loans", "0003_loan_late_fees_assessed_through")]


@pytest.mark.django_db(transaction=True)
def test_existing_loans_are_backfilled_from_their_record_date_and_ledger():
    apps = migrate_to(BEFORE)
    try:
        Lender = apps.get_model("loans", "Lender")
        Loan = apps.get_model("loans", "Loan")
        LoanPosting = apps.get_model("loans", "LoanPosting")
        lender = Lender.objects.create(name="Old Lender")  # 10 grace days, New York

        def loan(number, created_utc, **extra):
            made = Loan.objects.create(
                lender=lender,
                loan_number=number,
                vin="1HGCM82633A004352",
                **{
                    **DEMO_LOAN,  # the demo contract, behind: balances as of Oct 5
                    "principal_balance": Decimal("21000.00"),
                    "interest_accrued_through": dt.date(2026, 10, 5),
                    "paid_toward_installments": Decimal("0.00"),
                    **extra,
                },
            )
            Loan.objects.filter(pk=made.pk).update(created_at=created_utc)
            return made

        def posting(on_loan, kind, day, **extra):
            LoanPosting.objects.create(
                loan=on_loan,
                kind=kind,
                effective_date=day,
                principal_balance_after=Decimal("21000.00"),
                accrued_interest_after=Decimal("0.00"),
                unpaid_fees_after=Decimal("25.00"),
                **extra,
            )

        # Seeded Nov 24 with installment 10's fee owed: grace ended by Nov 24 for 1-10.
        loan("SEEDED", dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC), unpaid_fees=Decimal("25"))
        # Nov 16, 2 am UTC is Nov 15, 9 pm in New York: installment 10's last grace day.
        loan("GRACE", dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.UTC))
        # Created in March, re-imported Dec 20: grace ended by Dec 20 for 1-11.
        reimported = loan("REIMPORTED", dt.datetime(2026, 3, 1, 15, 0, tzinfo=dt.UTC))
        posting(reimported, "adjustment", dt.date(2026, 12, 20), fees=Decimal("-25.00"))
        # Created in March, our job assessed installment 9 on Oct 16.
        ours = loan("OURS", dt.datetime(2026, 3, 1, 15, 0, tzinfo=dt.UTC))
        posting(
            ours, "late_fee", dt.date(2026, 10, 16), fees=Decimal("-25.00"), installment_number=9
        )
        # Created before its first due date: nothing to cover yet.
        loan("FRESH", dt.datetime(2026, 1, 20, 15, 0, tzinfo=dt.UTC))

        apps = migrate_to(AFTER)
        through = dict(
            apps.get_model("loans", "Loan").objects.values_list(
                "loan_number", "late_fees_assessed_through"
            )
        )
        assert through == {"SEEDED": 10, "GRACE": 9, "REIMPORTED": 11, "OURS": 9, "FRESH": 0}
    finally:
        migrate_to_latest()
