"""What a borrower reads about when a payment counts, at a lender outside New York: the
cut-off in the lender's own zone, and a payment that can only count after the due date said
so on the dashboard, the loan page and the review (the new-user review helper-81, on the
demo loan: installment 11, $483.32, due Saturday Dec 5, 2026)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from factories import LenderFactory, LoanFactory, LoanLinkFactory

pytestmark = pytest.mark.django_db

# 06:30 UTC Dec 6 = Sat Dec 5, 10:30 PM in Los Angeles (the lender's due date, past cut-off).
LA_SAT_2230 = dt.datetime(2026, 12, 6, 6, 30, tzinfo=dt.UTC)
# 23:00 UTC Dec 4 = Fri Dec 4, 3:00 PM in Los Angeles, 6:00 PM in New York.
LA_FRI_1500 = dt.datetime(2026, 12, 4, 23, 0, tzinfo=dt.UTC)
# 03:30 UTC Dec 6 = Sat Dec 5, 11:30 PM in Puerto Rico.
PR_SAT_2330 = dt.datetime(2026, 12, 6, 3, 30, tzinfo=dt.UTC)


def _text(response) -> str:
    assert response.status_code == 200
    words = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", "", response.content.decode())
    words = re.sub(r"<[^>]+>", " ", words)
    return re.sub(r"\s+", " ", words).replace("&#x27;", "'").replace("&amp;", "&").strip()


def _signed_in(client, borrower, add_bank, zone: str):
    loan = LoanFactory(ten_paid=True, lender=LenderFactory(name=zone, timezone=zone))
    LoanLinkFactory(user=borrower, loan=loan)
    method = add_bank("000123456789")
    client.force_login(borrower)
    return loan, method


def _review(client, loan, method, choice: str, pay_on: str) -> str:
    posted = client.post(
        f"/payments/pay/{loan.pk}/",
        {"amount_choice": choice, "method": str(method.pk), "pay_on": pay_on},
    )
    assert posted.status_code == 302, _text(posted)
    return posted["Location"]


# --- HIGH: the cut-off is told in New York time for lenders elsewhere -------------------------


def test_a_western_lenders_pay_form_names_its_cut_off_in_the_lenders_zone(
    client, borrower, add_bank
):
    """Fri 3:00 PM in Los Angeles (6:00 PM in New York). The form said: "Pay in the next 2 h 0
    min and it counts today. Payments after 5:00 PM ET ..." -- 5:00 PM ET was an hour ago."""
    with time_machine.travel(LA_FRI_1500, tick=False):
        loan, _ = _signed_in(client, borrower, add_bank, "America/Los_Angeles")
        text = _text(client.get(f"/payments/pay/{loan.pk}/"))
    assert "Pay in the next 2 h 0 min and it counts today." in text
    assert "Payments after 5:00 PM PST or on a weekend or bank holiday" in text


def test_past_the_cut_off_at_a_puerto_rico_lender_the_pay_form_says_ast(client, borrower, add_bank):
    """The due reminder says "before 5:00 PM AST" (helper-78); the pay form said "ET"."""
    with time_machine.travel(PR_SAT_2330, tick=False):
        loan, _ = _signed_in(client, borrower, add_bank, "America/Puerto_Rico")
        text = _text(client.get(f"/payments/pay/{loan.pk}/"))
    assert "It's past today's 5:00 PM AST cut-off (or not a business day)" in text


def test_a_scheduled_payments_cancel_time_is_in_the_lenders_zone(client, borrower, add_bank):
    with time_machine.travel(LA_FRI_1500, tick=False):
        loan, method = _signed_in(client, borrower, add_bank, "America/Los_Angeles")
        text = _text(client.get(_review(client, loan, method, "due", "2026-12-08")))
    assert "You can cancel a scheduled payment until 5:00 PM PST on its date." in text


# --- HIGH: "Amount due by Dec 5" while no payment made now can count by Dec 5 ------------------


def test_on_the_due_dates_late_evening_the_dashboard_says_a_payment_now_counts_after_it(
    client, borrower, add_bank
):
    """Sat Dec 5, 10:30 PM in Los Angeles. Dashboard and loan page: "Due soon · Amount due by
    Dec 5, 2026 · $483.32 · Make a payment" and nothing else; a payment made now counts on
    Monday, Dec 7 (the reminder already says "A payment made now counts after the due date")."""
    with time_machine.travel(LA_SAT_2230, tick=False):
        loan, _ = _signed_in(client, borrower, add_bank, "America/Los_Angeles")
        for page in ("/loans/", f"/loans/{loan.pk}/"):
            text = _text(client.get(page))
            assert "Amount due by Dec 5, 2026" in text, page
            assert (
                "A payment made now counts on Monday, Dec 7, after the Dec 5 due date." in text
            ), page


def test_the_review_says_the_day_it_counts_is_after_the_due_date(client, borrower, add_bank):
    """The review said only "It's past today's cut-off, so this payment counts on Monday,
    Dec 7." -- after a dashboard that said "Amount due by Dec 5", with no word that Dec 7 is
    after the due date."""
    with time_machine.travel(LA_SAT_2230, tick=False):
        loan, method = _signed_in(client, borrower, add_bank, "America/Los_Angeles")
        text = _text(client.get(_review(client, loan, method, "due", "2026-12-05")))
    assert "Counts on Monday, Dec 7, 2026" in text
    assert "so this payment counts on Monday, Dec 7, after the Dec 5 due date." in text


# --- MEDIUM: the payoff the pay form offers is not the payoff the review charges ---------------


def test_the_payoff_the_pay_form_offers_is_the_amount_the_review_charges(
    client, borrower, add_bank
):
    """Sat 10:30 PM in Los Angeles: dashboard "Payoff today $21,440.31", pay form "Pay off the
    loan — $21,440.31"; the review then says "You pay $21,447.33" (interest to Monday Dec 7)."""
    with time_machine.travel(LA_SAT_2230, tick=False):
        loan, method = _signed_in(client, borrower, add_bank, "America/Los_Angeles")
        form = _text(client.get(f"/payments/pay/{loan.pk}/"))
        review = _text(client.get(_review(client, loan, method, "payoff", "2026-12-05")))
    assert "You pay $21,447.33" in review
    assert "Pay off the loan — $21,447.33" in form


def test_the_scheduled_payment_email_gives_the_cancel_time_in_the_lenders_zone(
    client, borrower, add_bank
):
    from django.utils import timezone

    from payments.payment_emails import payment_email
    from payments.services import new_idempotency_key, payment_submit

    with time_machine.travel(LA_FRI_1500, tick=False):
        loan, method = _signed_in(client, borrower, add_bank, "America/Los_Angeles")
        payment = payment_submit(
            loan_id=loan.pk,
            method=method,
            amount=loan.installment_amount,
            idempotency_key=new_idempotency_key(),
            payer=borrower,
            payer_email=borrower.email,
            scheduled_for=dt.date(2026, 12, 8),
            confirm_duplicate=True,
            now=timezone.now(),
        )
    _, body = payment_email(payment, "payment_scheduled")
    assert "You can cancel it until 5:00 PM PST on that day:" in body


def test_a_payment_scheduled_after_the_due_date_is_called_late_on_the_review(
    client, borrower, add_bank
):
    with time_machine.travel(LA_FRI_1500, tick=False):
        loan, method = _signed_in(client, borrower, add_bank, "America/Los_Angeles")
        late = _text(client.get(_review(client, loan, method, "due", "2026-12-08")))
        in_time = _text(client.get(_review(client, loan, method, "due", "2026-12-04")))
    assert (
        "It counts on Tuesday, Dec 8, after the Dec 5 due date, so the payment would arrive late."
        in late
    )
    assert "after the Dec 5 due date" not in in_time


def test_before_the_cut_off_the_pages_do_not_say_a_payment_now_counts_late(
    client, borrower, add_bank
):
    # Friday 3:00 PM in Los Angeles: a payment made now counts today, Dec 4, before Dec 5.
    with time_machine.travel(LA_FRI_1500, tick=False):
        loan, _ = _signed_in(client, borrower, add_bank, "America/Los_Angeles")
        for page in ("/loans/", f"/loans/{loan.pk}/"):
            text = _text(client.get(page))
            assert "Amount due by Dec 5, 2026" in text, page
            assert "A payment made now counts" not in text, page


# --- The pay form's amounts and the review's words around a Saturday due date (the attacker
# review helper-82 of f3f16d4..28db92d: each test failed on 28db92d) ---------------------------
# 18:00 UTC Sat Dec 5 = 10:00 AM in Los Angeles: before 5:00 PM, but a Saturday.
LA_SAT_1000 = dt.datetime(2026, 12, 5, 18, 0, tzinfo=dt.UTC)
# 18:00 UTC Thu Dec 3 = 10:00 AM in Los Angeles, before the cut-off on a business day.
LA_THU_1000 = dt.datetime(2026, 12, 3, 18, 0, tzinfo=dt.UTC)


def _la_lender():
    return LenderFactory(name="LA", timezone="America/Los_Angeles")


def _signed_in_to(client, borrower, add_bank, loan):
    LoanLinkFactory(user=borrower, loan=loan)
    method = add_bank("000123456789")
    client.force_login(borrower)
    return method


def _final_installment_loan(lender):
    """A 12-month loan with 11 installments paid: the 12th (the last) is due Sat Dec 5, 2026."""
    loan = LoanFactory(
        lender=lender,
        original_principal=Decimal("6000.00"),
        term_months=12,
        contract_date=dt.date(2025, 12, 5),
        first_due_date=dt.date(2026, 1, 5),
        due_day=5,
        principal_balance=Decimal("514.00"),
        interest_accrued_through=dt.date(2026, 11, 5),
    )
    loan.paid_toward_installments = loan.installment_amount * 11
    loan.save(update_fields=["paid_toward_installments"])
    return loan


# --- MEDIUM: the last installment's "Amount due" (the whole payoff) is today's, not Monday's --


def test_on_the_last_installment_after_the_cut_off_the_amount_due_is_the_payoff_charged(
    client, borrower, add_bank
):
    """Sat Dec 5, 10:30 PM in Los Angeles, the last installment due today: the amount due is
    the whole payoff (delinquency.amount_due_now), but as of the lender's today (Dec 5) while the
    form's payoff is now Monday's (interest to Dec 7, payoff_paid_now). The form offers two
    different "everything" amounts; paying the "Amount due" leaves 2 days' interest owing and
    the loan not paid off."""
    with time_machine.travel(LA_SAT_2230, tick=False):
        loan = _final_installment_loan(_la_lender())
        _signed_in_to(client, borrower, add_bank, loan)
        response = client.get(f"/payments/pay/{loan.pk}/")
    amounts = response.context["amounts"]
    assert amounts["due"] == amounts["payoff"], amounts


# --- LOW: a payment scheduled ON a Saturday due date is called "after the due date" ----------


def test_a_payment_scheduled_on_its_saturday_due_date_is_not_said_to_be_after_that_date(
    client, borrower, add_bank
):
    """Thu Dec 3, 10 AM in Los Angeles; the borrower schedules the amount due for Sat Dec 5,
    the due date itself. The review says "This is after the Dec 5 due date, so the payment
    would arrive late." -- the date chosen is the due date; what is late is the day it counts
    (Monday, Dec 7), which this line does not name."""
    with time_machine.travel(LA_THU_1000, tick=False):
        loan = LoanFactory(ten_paid=True, lender=_la_lender())
        method = _signed_in_to(client, borrower, add_bank, loan)
        text = _text(client.get(_review(client, loan, method, "due", "2026-12-05")))
    assert "This is after the Dec 5 due date" not in text


# --- LOW: "It's past today's cut-off" at 10 AM on a Saturday ---------------------------------


def test_on_a_saturday_morning_the_review_does_not_say_it_is_past_the_cut_off(
    client, borrower, add_bank
):
    """Sat Dec 5, 10:00 AM in Los Angeles (cut-off 5:00 PM): the review says "It's past today's
    cut-off, so this payment counts on Monday, Dec 7, after the Dec 5 due date." It is not past
    the cut-off: it is a Saturday (the pay form says "(or not a business day)")."""
    with time_machine.travel(LA_SAT_1000, tick=False):
        loan = LoanFactory(ten_paid=True, lender=_la_lender())
        method = _signed_in_to(client, borrower, add_bank, loan)
        text = _text(client.get(_review(client, loan, method, "due", "2026-12-05")))
    assert (
        "Today isn't a business day, so this payment counts on Monday, Dec 7, after the Dec 5 "
        "due date." in text
    )
    assert "It's past today's cut-off" not in text


# --- LOW: an other amount up to the payoff on a scheduled day is refused ----------------------


def test_an_other_amount_equal_to_the_payoff_on_the_scheduled_day_is_accepted(
    client, borrower, add_bank
):
    """Thu Dec 3 in Los Angeles, a payment scheduled for Thu Dec 31: "Pay off the loan" on that
    day charges the Dec 31 payoff (interest to Dec 31); typing that same amount as "Other
    amount" is refused "That's more than your payoff amount ($<Dec 3 payoff>)" -- the cap is
    payoff_paid_now whatever the payment date."""
    from loans.allocation import payoff_amount
    from loans.selectors import loan_balances_on

    with time_machine.travel(LA_THU_1000, tick=False):
        loan = LoanFactory(ten_paid=True, lender=_la_lender())
        method = _signed_in_to(client, borrower, add_bank, loan)
        dec31 = payoff_amount(loan_balances_on(loan, dt.date(2026, 12, 31)))
        review = _text(client.get(_review(client, loan, method, "payoff", "2026-12-31")))
        other = client.post(
            f"/payments/pay/{loan.pk}/",
            {
                "amount_choice": "other",
                "other_amount": f"{dec31}",
                "method": str(method.pk),
                "pay_on": "2026-12-31",
            },
        )
    assert f"You pay ${dec31:,}" in review
    assert other.status_code == 302, _text(other)


def test_a_guest_may_pay_the_last_installment_as_the_payoff_to_the_day_it_counts():
    # The guest form caps at the amount due (payments/views/guest.py `_amount_due`): the same
    # rule as the signed-in form, so a guest can pay this loan off after the cut-off too.
    from payments.preview import amounts_paid_now
    from payments.views.guest import _amount_due

    with time_machine.travel(LA_SAT_2230, tick=False):
        loan = _final_installment_loan(_la_lender())
        amounts = amounts_paid_now(loan, now=dt.datetime.now(dt.UTC))
        assert _amount_due(loan) == amounts["due"] == amounts["payoff"]
