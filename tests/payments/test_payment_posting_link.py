"""Payment.loan_posting is a real foreign key to the ledger posting it made, and "amount
received" (applied + unapplied) is summed in one place, LoanPosting.received (issue 12,
item 11)."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import models
from django.db.models.deletion import ProtectedError

import loans
from loans.models import LoanPosting
from payments.models import Payment

ROOT = Path(loans.__file__).resolve().parent.parent


def test_loan_posting_is_a_protected_nullable_foreign_key_on_the_same_column():
    field = Payment._meta.get_field("loan_posting")
    assert isinstance(field, models.ForeignKey)
    assert field.related_model is LoanPosting
    assert (field.column, field.null, field.remote_field.on_delete) == (
        "loan_posting_id",
        True,
        models.PROTECT,
    )


def test_a_posted_payment_links_its_posting_and_the_ledger_keeps_it(loan, borrower, add_card, pay):
    payment = pay(loan, add_card("4242424242424242"), "100.00", payer=borrower)
    payment.refresh_from_db()
    posting = payment.loan_posting
    assert posting.kind == LoanPosting.Kind.PAYMENT
    assert posting.received == posting.total == Decimal("100.00")
    assert list(posting.payments.all()) == [payment]
    assert Payment.objects.filter(loan_posting__loan=loan).get() == payment
    with pytest.raises((ProtectedError, ValueError)):
        posting.delete()


def test_received_is_the_applied_total_plus_the_unapplied_rest():
    posting = LoanPosting(
        fees=Decimal("15.00"),
        interest=Decimal("60.25"),
        principal=Decimal("400.00"),
        unapplied=Decimal("8.07"),
    )
    assert (posting.total, posting.received) == (Decimal("475.25"), Decimal("483.32"))


def test_no_module_rebuilds_received_as_total_plus_unapplied():
    rebuilt = re.compile(r"\.total \+ \w+\.unapplied\b|F\(\"principal\"\) \+ F\(\"unapplied\"\)")
    found = []
    for app in ("loans", "payments", "documents", "accounts", "ismartpay"):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path == ROOT / "loans" / "models_ledger.py":
                continue
            found += [
                f"{path.relative_to(ROOT)}"
                for line in path.read_text().splitlines()
                if rebuilt.search(line)
            ]
    assert found == []
