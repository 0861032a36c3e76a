"""The review page and the submitted payment come from one payment_preview(): for every amount
choice, before and after the cut-off, the payment charged is the one the page showed, to the
cent (issue 12, item 5). (The due amount is the installment on this loan: the pay page
offers one choice for both.)"""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from payments.models import Payment

BEFORE_CUTOFF = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)  # Tue 10:00 New York
AFTER_CUTOFF = dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.UTC)  # Tue 18:00 New York

CHOICES = {
    "due": {"amount_choice": "due"},
    "payoff": {"amount_choice": "payoff"},
    "other": {"amount_choice": "other", "other_amount": "250.00"},
}

# (amount, effective date) the page shows and the payment records, per choice and clock.
EXPECTED = {
    ("due", BEFORE_CUTOFF): ("483.32", dt.date(2026, 11, 24)),
    ("payoff", BEFORE_CUTOFF): ("21401.74", dt.date(2026, 11, 24)),
    ("other", BEFORE_CUTOFF): ("250.00", dt.date(2026, 11, 24)),
    ("due", AFTER_CUTOFF): ("483.32", dt.date(2026, 11, 25)),
    ("payoff", AFTER_CUTOFF): ("21405.24", dt.date(2026, 11, 25)),  # one more day's interest
    ("other", AFTER_CUTOFF): ("250.00", dt.date(2026, 11, 25)),
}


@pytest.mark.parametrize("when", [BEFORE_CUTOFF, AFTER_CUTOFF], ids=["before", "after"])
@pytest.mark.parametrize("choice", list(CHOICES))
def test_the_review_page_and_the_submitted_payment_agree_to_the_cent(
    borrower_client, linked_loan, add_bank, choice, when
):
    bank = add_bank("000123456789")
    with time_machine.travel(when, tick=False):
        started = borrower_client.post(
            reverse("payments:pay", args=[linked_loan.pk]),
            {"method": str(bank.pk), "pay_on": "2026-11-24", **CHOICES[choice]},
        )
        assert started.status_code == 302, started.content.decode()[:1500]
        review = borrower_client.get(started["Location"])
        preview = review.context["preview"]
        page = review.content.decode()
        done = borrower_client.post(started["Location"], {})
    amount, effective = EXPECTED[(choice, when)]
    assert (preview.amount, preview.fee, preview.total) == (
        Decimal(amount),
        Decimal("0.00"),
        Decimal(amount),
    )
    assert preview.effective == effective
    assert f"{effective:%A, %b} {effective.day}, {effective.year}" in page
    assert preview.allocation.total == Decimal(amount)
    assert re.search(rf"By confirming: I authorize .* debit \${Decimal(amount):,} once", page)
    payment = Payment.objects.get()
    assert done["Location"] == reverse("payments:detail", args=[payment.reference])
    assert (payment.amount, payment.fee_amount, payment.effective_date) == (
        preview.amount,
        preview.fee,
        preview.effective,
    )
    assert payment.authorization_text == preview.authorization_text
    assert payment.authorization_version == preview.authorization_version == "OT-2026-12"
    assert payment.is_payoff == (choice == "payoff")
