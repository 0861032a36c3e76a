"""Every figure has one source (issue 11, item 8): the dashboard, the loan page, the pay page,
the what-if page and the history say the same thing about the same loan on the same day."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from demo_loan import TEN_PAID
from factories import LoanFactory, LoanLinkFactory

from loans.selectors import contract_schedule, loan_summary, loan_what_if
from loans.simulation import WhatIf

pytestmark = pytest.mark.django_db
NOV_24 = time_machine.travel(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC), tick=False)


def _loan(borrower, **kwargs):
    """$25,000 / 6 % / 60 months, first due 2026-02-05; 10 installments paid by Nov 5."""
    fields = {
        **TEN_PAID,
        "first_due_date": dt.date(2026, 2, 5),
        **kwargs,
    }
    loan = LoanFactory(**fields)
    LoanLinkFactory(user=borrower, loan=loan)
    return loan


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _due_sentence(text: str) -> str:
    match = re.search(
        r"(Nothing due right now .*?is due \w{3} \d+, \d{4}\."
        r"|Amount due (?:now|by \w{3} \d+, \d{4}) \$[\d,.]+)",
        text,
    )
    assert match, text[:3000]
    return match.group(1)


@NOV_24
def test_dashboard_and_loan_page_say_the_same_about_what_is_due_when_paid_ahead(
    borrower_client, borrower
):
    # 11 installments covered (Dec 5 paid early, as autopay does): nothing due now.
    loan = _loan(borrower, paid_toward_installments=Decimal("5316.52"))
    dashboard = _due_sentence(_text(borrower_client.get("/loans/")))
    detail = _due_sentence(_text(borrower_client.get(f"/loans/{loan.pk}/")))
    assert (
        dashboard
        == detail
        == (
            "Nothing due right now You're paid through Dec 5, 2026. "
            "The next payment, $483.32, is due Jan 5, 2027."
        )
    )
    assert "$0.00" not in _text(borrower_client.get(f"/loans/{loan.pk}/")).split("Payoff today")[0]


@NOV_24
def test_dashboard_loan_page_and_pay_page_show_the_same_amount_due(
    borrower_client, borrower, add_card
):
    loan = _loan(borrower)
    add_card("4242424242424242")
    dashboard = _due_sentence(_text(borrower_client.get("/loans/")))
    detail = _due_sentence(_text(borrower_client.get(f"/loans/{loan.pk}/")))
    assert dashboard == detail == "Amount due by Dec 5, 2026 $483.32"
    pay = borrower_client.get(f"/payments/pay/{loan.pk}/").content.decode()
    assert "Amount due (your monthly payment) — $483.32" in pay


@NOV_24
def test_payments_made_before_isMartPay_are_not_called_none(borrower_client, borrower):
    loan = _loan(borrower)  # 10 made before import, none through iSmartPay
    for url in ("/loans/", f"/loans/{loan.pk}/"):
        text = _text(borrower_client.get(url))
        assert "10 of 60 payments made" in text
        assert "Last payment None yet" not in text
        assert "Last payment None through iSmartPay yet" in text


@NOV_24
def test_loan_page_and_history_show_the_same_last_payment(borrower_client, borrower, add_card):
    from payments.services import new_idempotency_key, payment_submit

    loan = _loan(borrower)
    payment = payment_submit(
        loan_id=loan.pk,
        method=add_card("4242424242424242"),
        amount=Decimal("483.32"),
        idempotency_key=new_idempotency_key(),
        payer=borrower,
        payer_email=borrower.email,
    )
    detail = _text(borrower_client.get(f"/loans/{loan.pk}/"))
    history = _text(borrower_client.get("/payments/history/"))
    assert "Last payment $483.32 on Nov 24" in detail
    assert "$483.32 Nov 24, 2026" in history and payment.effective_date == dt.date(2026, 11, 24)


@NOV_24
@pytest.mark.parametrize(
    "principal", [Decimal("21335.10"), Decimal("21900.00")], ids=["on-schedule", "behind"]
)
def test_what_if_as_scheduled_matches_the_contract_payments_left_and_maturity(
    borrower_client, borrower, principal
):
    loan = _loan(borrower, principal_balance=principal)
    today = dt.date(2026, 11, 24)
    summary = loan_summary(loan, today=today)
    maturity = contract_schedule(loan).due_date(loan.term_months)
    comparison = loan_what_if(loan, today=today, what_if=WhatIf(extra_monthly=Decimal("100.00")))
    assert (summary.payments_left, maturity) == (50, dt.date(2031, 1, 5))
    assert comparison.baseline.payments_count == 50
    assert comparison.baseline.payoff_date == dt.date(2031, 1, 5)
    page = _text(borrower_client.get(f"/loans/{loan.pk}/what-if/", {"extra_monthly": "100"}))
    assert "Payoff date as scheduled Jan 5, 2031" in page
    assert re.search(r"Payments left \d+ instead of 50", page)
    detail = _text(borrower_client.get(f"/loans/{loan.pk}/"))
    assert "10 of 60 payments made · 50 left" in detail
