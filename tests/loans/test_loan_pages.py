"""Dashboard, loan detail (schedule, interest paid, binding payoff quote + PDF) and what-if."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory, LoanLinkFactory

from loans.models import Loan, LoanLink, LoanPosting
from loans.selectors import loan_what_if, payoff_quote
from loans.services import loan_post_payment
from loans.simulation import WhatIf

pytestmark = pytest.mark.django_db
NOV_24 = time_machine.travel(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC), tick=False)


def _current_loan(**kwargs):
    """$25,000 / 6 % / 60 months, first due 2026-02-05; 10 installments paid by Nov 5."""
    return LoanFactory(
        ten_paid=True,
        **kwargs,
    )


@pytest.fixture
def my_loan(borrower):
    loan = _current_loan()
    LoanLinkFactory(user=borrower, loan=loan)
    return loan


@NOV_24
def test_dashboard_shows_status_progress_autopay_and_last_payment(borrower_client, my_loan):
    loan_post_payment(
        loan_id=my_loan.pk,
        amount=Decimal("100.00"),
        effective_date=dt.date(2026, 11, 20),
        principal_only=True,
        idempotency_key="x",
    )
    text = borrower_client.get("/loans/").content.decode()
    assert "Current" in text
    assert "Amount due by Dec 5, 2026" in text
    assert "$483.32" in text
    assert "10 of 60 payments made · 50 left" in text
    last = text[text.index("Last payment") :][:200]
    assert "$100.00" in last
    assert "on Nov 20" in last
    assert (
        f'<dt>Autopay</dt><dd>Off · <a class="tap" href="/payments/autopay/{my_loan.pk}/setup/">'
        'Set up<span class="visually-hidden"> autopay for the ' in text
    )
    assert f'href="/payments/pay/{my_loan.pk}/"' in text
    assert text.count("Make a payment") == 1


@time_machine.travel(dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC), tick=False)
def test_dashboard_says_due_soon_within_a_week(client, borrower, my_loan):
    client.force_login(borrower)  # signed in on Nov 30 (sessions expire)
    assert "Due soon" in client.get("/loans/").content.decode()


@NOV_24
def test_dashboard_shows_a_paid_off_loan_without_a_pay_button(borrower, borrower_client):
    loan = LoanFactory(principal_balance=Decimal("0.00"), status=Loan.Status.PAID_OFF)
    LoanLinkFactory(user=borrower, loan=loan)
    text = borrower_client.get("/loans/").content.decode()
    assert "Paid off" in text
    assert "This loan is paid in full" in text
    assert "Make a payment" not in text


@NOV_24
def test_dashboard_queries_stay_constant_whatever_the_history_length(
    borrower, borrower_client, django_assert_max_num_queries
):
    for n in range(4):
        loan = _current_loan()
        LoanLinkFactory(user=borrower, loan=loan)
        for day in range(1, 1 + 8 * n):
            loan_post_payment(
                loan_id=loan.pk,
                amount=Decimal("1.00"),
                effective_date=dt.date(2026, 11, 5) + dt.timedelta(days=day % 15),
                idempotency_key=f"{loan.pk}-{day}",
            )
    assert LoanPosting.objects.count() == 48
    # 6 + 2 for what is on the way (scheduled payments, autopay plans: payments/upcoming.py),
    # each one query whatever the number of loans, + 1 for the header's unread badges.
    with django_assert_max_num_queries(9):
        response = borrower_client.get("/loans/")
    assert response.content.decode().count("Last payment") == 4


@NOV_24
def test_viewer_sees_the_loan_but_no_pay_button(client, my_loan):
    viewer = LoanLinkFactory(loan=my_loan, role=LoanLink.Role.VIEWER).user
    client.force_login(viewer)
    text = client.get("/loans/").content.decode()
    assert my_loan.loan_number in text
    assert "Shared with you" in text
    assert "Make a payment" not in text
    assert text.count('class="card__title"') == 1


@NOV_24
def test_owner_sees_each_loan_once_however_many_people_share_it(borrower_client, my_loan):
    LoanLinkFactory(loan=my_loan, role=LoanLink.Role.CO_BORROWER)
    LoanLinkFactory(loan=my_loan, role=LoanLink.Role.PAYER)
    text = borrower_client.get("/loans/").content.decode()
    assert text.count('class="card__title"') == 1
    assert "Shared with you" not in text


@NOV_24
def test_loan_detail_shows_contract_schedule_and_interest_paid(borrower_client, my_loan):
    loan_post_payment(
        loan_id=my_loan.pk,
        amount=Decimal("483.32"),
        effective_date=dt.date(2026, 11, 20),
        idempotency_key="p",
    )
    # 15 days on 21,335.10 at 6 %: 52.61 of interest
    response = borrower_client.get(f"/loans/{my_loan.pk}/")
    text = response.content.decode()
    assert "$25,000.00" in text
    assert "6.00% APR" in text
    assert "Jan 5, 2031" in text  # the 60th due date
    assert "Interest paid in 2026" in text
    assert text.count("$52.61") == 2  # this year and to date
    assert "Page 1 of 5" in text
    assert "Feb 5, 2026" in text
    page3 = borrower_client.get(f"/loans/{my_loan.pk}/?page=3").content.decode()
    assert "Page 3 of 5" in page3
    assert '<time class="nowrap" datetime="2028-02-05">Feb 5, 2028</time>' in page3
    assert '<time class="nowrap" datetime="2026-02-05">Feb 5, 2026</time>' not in page3
    assert borrower_client.get(f"/loans/{my_loan.pk}/?page=zz").status_code == 200


@NOV_24
def test_payoff_quote_shows_amount_good_through_and_per_diem(borrower_client, my_loan):
    text = borrower_client.get(f"/loans/{my_loan.pk}/?good_through=2026-12-01").content.decode()
    # 26 days from Nov 5: 21,335.10 x 6 x 26 / 36500 = 91.19; per diem 3.5071 → 3.51
    assert "$21,426.29" in text
    assert "$91.19" in text
    assert "$3.51" in text
    assert "good through Tuesday, Dec 1, 2026" in text
    assert f"/loans/{my_loan.pk}/payoff-letter.pdf?good_through=2026-12-01" in text


@NOV_24
@pytest.mark.parametrize("bad", ["2026-11-23", "2027-06-01", "not-a-date", ""])
def test_payoff_quote_refuses_bad_dates_next_to_the_field(borrower_client, my_loan, bad):
    response = borrower_client.get(f"/loans/{my_loan.pk}/?good_through={bad}")
    assert response.status_code == 200
    assert 'id="id_good_through_error"' in response.content.decode()


@NOV_24
def test_paying_the_quoted_amount_by_the_good_through_date_closes_the_loan(my_loan):
    quote = payoff_quote(my_loan, today=dt.date(2026, 11, 24), good_through=dt.date(2026, 12, 1))
    loan_post_payment(
        loan_id=my_loan.pk,
        amount=quote.amount,
        effective_date=quote.good_through,
        payoff=True,
        idempotency_key="payoff",
    )
    my_loan.refresh_from_db()
    assert my_loan.status == Loan.Status.PAID_OFF
    assert (my_loan.principal_balance, my_loan.accrued_interest, my_loan.unpaid_fees) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert not LoanPosting.objects.filter(kind="write_off").exists()


@NOV_24
def test_payoff_letter_is_a_pdf_with_the_amount(borrower_client, my_loan):
    response = borrower_client.get(f"/loans/{my_loan.pk}/payoff-letter.pdf?good_through=2026-12-01")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    assert b"$21,426.29" in response.content
    assert b"December 1, 2026" in response.content
    bad = borrower_client.get(f"/loans/{my_loan.pk}/payoff-letter.pdf?good_through=1999-01-01")
    assert bad.status_code == 404


@NOV_24
def test_what_if_shows_savings_from_the_same_domain_code(borrower_client, my_loan):
    response = borrower_client.get(
        f"/loans/{my_loan.pk}/what-if/", {"extra_monthly": "100", "one_off_extra": ""}
    )
    text = response.content.decode()
    expected = loan_what_if(
        my_loan, today=dt.date(2026, 11, 24), what_if=WhatIf(extra_monthly=Decimal("100.00"))
    )
    # 583.32 a month: 41 payments instead of the contract's 50 (its last absorbs the remainder)
    assert expected.months_saved == 9
    assert f">{expected.months_saved}<" in text
    assert f"${expected.interest_saved:,}" in text
    assert f"{expected.scenario.payoff_date:%b} {expected.scenario.payoff_date.day}," in text


@NOV_24
def test_what_if_biweekly_pays_off_sooner(my_loan):
    result = loan_what_if(my_loan, today=dt.date(2026, 11, 24), what_if=WhatIf(biweekly=True))
    assert result.months_saved > 0
    assert result.interest_saved > 0


@NOV_24
@pytest.mark.parametrize("value", ["abc", "-5", "1.234", "NaN", "1e5", "99999999999"])
def test_what_if_refuses_bad_amounts_next_to_the_field(borrower_client, my_loan, value):
    response = borrower_client.get(f"/loans/{my_loan.pk}/what-if/", {"extra_monthly": value})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="id_extra_monthly_error"' in text
    assert "Your result" not in text


@NOV_24
def test_what_if_on_a_paid_off_loan_explains_instead_of_failing(borrower, borrower_client):
    loan = LoanFactory(principal_balance=Decimal("0.00"), status=Loan.Status.PAID_OFF)
    LoanLinkFactory(user=borrower, loan=loan)
    response = borrower_client.get(f"/loans/{loan.pk}/what-if/", {"extra_monthly": "10"})
    assert response.status_code == 200
    assert "This loan is paid off." in response.content.decode()


def test_pages_have_no_inline_script_or_style(borrower_client, my_loan):
    for path in [
        "/loans/",
        f"/loans/{my_loan.pk}/",
        f"/loans/{my_loan.pk}/what-if/",
        f"/loans/{my_loan.pk}/sharing/",
        "/loans/link/",
        "/loans/calendar/",
    ]:
        text = borrower_client.get(path).content.decode()
        assert " style=" not in text, path
        assert "<script>" not in text and " onclick=" not in text, path
