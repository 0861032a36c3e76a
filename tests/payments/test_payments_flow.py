"""The one-time payment flow through the view layer, for every sandbox test number."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from loans.models import Loan
from payments.models import Payment, PaymentMethod, SandboxCharge

# Tuesday 2026-11-24, 10:00 in New York: a business day, before the 17:00 cut-off.
BEFORE_CUTOFF = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
AFTER_CUTOFF = dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.UTC)  # 18:00 in New York


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(BEFORE_CUTOFF, tick=False):
        yield


def start(client, loan, method, **fields):
    data = {"amount_choice": "due", "method": str(method.pk), "pay_on": "2026-11-24", **fields}
    response = client.post(reverse("payments:pay", args=[loan.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def pay(client, loan, method, *, confirm_duplicate=False, **fields):
    review_url = start(client, loan, method, **fields)
    data = {"confirm_duplicate": "on"} if confirm_duplicate else {}
    return client.post(review_url, data)


def test_pay_page_prefills_the_amount_due_and_explains_the_cut_off(
    borrower_client, linked_loan, add_card
):
    add_card("4242424242424242")
    page = borrower_client.get(reverse("payments:pay", args=[linked_loan.pk])).content.decode()
    assert "Amount due (your monthly payment) — $483.32" in page  # one choice, not two
    assert "Pay off the loan — $21,401.74" in page
    assert re.search(r'value="due"[^>]*checked', page)
    assert "7 h 0 min" in page  # until 17:00 ET


def test_review_shows_the_allocation_and_charges_nothing(borrower_client, linked_loan, add_card):
    card = add_card("4242424242424242")
    review = borrower_client.get(start(borrower_client, linked_loan, card)).content.decode()
    assert "Pay $483.32" in review
    assert "$66.64" in review and "$416.68" in review  # 19 days' interest, then principal
    assert "Tuesday, Nov 24, 2026" in review
    assert not Payment.objects.exists() and not SandboxCharge.objects.exists()


def test_a_card_payment_posts_at_once_and_emails_a_receipt(
    borrower_client, linked_loan, add_card, django_capture_on_commit_callbacks
):
    card = add_card("4242424242424242")
    with django_capture_on_commit_callbacks(execute=True):
        response = pay(borrower_client, linked_loan, card)
    payment = Payment.objects.get()
    assert response["Location"] == reverse("payments:detail", args=[payment.reference])
    assert payment.status == Payment.Status.POSTED
    assert payment.effective_date == dt.date(2026, 11, 24)
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance == Decimal("20918.42")
    assert linked_loan.accrued_interest == Decimal("0.00")
    assert linked_loan.paid_toward_installments == Decimal("5316.52")
    assert [e.to_status for e in payment.events.all()] == ["submitting", "posted"]
    receipt = borrower_client.get(response["Location"]).content.decode()
    assert payment.reference in receipt and "Visa •••• 4242" in receipt
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "We received your payment of $483.32"
    assert payment.reference in mail.outbox[0].body


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        ("4000000000000002", "card_declined", "Your card was declined"),
        ("4000000000009995", "insufficient_funds", "Not enough funds"),
        ("4000000000000069", "expired_card", "Your card has expired"),
        ("4000000000000127", "incorrect_cvc", "The security code didn&#x27;t match"),
        ("4000000000000119", "processing_error", "A temporary problem"),
    ],
)
def test_declined_cards_are_recorded_explained_and_charge_nothing(
    borrower_client, linked_loan, add_card, number, code, message
):
    card = add_card(number)
    response = pay(borrower_client, linked_loan, card, amount_choice="other", other_amount="250.00")
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.FAILED and payment.decline_code == code
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance == Decimal("21335.10")  # nothing posted
    page = borrower_client.get(response["Location"]).content.decode()
    assert message in page and "Nothing was charged" in page
    # Trying again keeps what the borrower typed.
    retry = borrower_client.get(reverse("payments:pay", args=[linked_loan.pk])).content.decode()
    assert 'value="250.00"' in retry and re.search(r'value="other"[^>]*checked', retry)


@pytest.mark.parametrize(
    "number", ["4242424242424242", "5555555555554444", "4000056655665556", "378282246310005"]
)
def test_every_good_sandbox_card_pays(borrower_client, linked_loan, add_card, number):
    card = add_card(number)
    pay(borrower_client, linked_loan, card)
    assert Payment.objects.get().status == Payment.Status.POSTED
    assert SandboxCharge.objects.get().amount_cents == 48332


def test_a_bank_debit_is_pending_then_settles_after_two_business_days(
    borrower_client, linked_loan, add_bank
):
    from payments.services import settle_payments

    account = add_bank("000123456789")
    pay(borrower_client, linked_loan, account)
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance == Decimal("20918.42")  # credited at once
    # Thanksgiving (Thu 26th) is not a business day: Tue 24 + 2 business days = Fri 27.
    assert settle_payments(on=dt.date(2026, 11, 26)) == {"checked": 1, "settled": 0, "returned": 0}
    assert settle_payments(on=dt.date(2026, 11, 27)) == {"checked": 1, "settled": 1, "returned": 0}
    assert settle_payments(on=dt.date(2026, 11, 27)) == {"checked": 0, "settled": 0, "returned": 0}
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SETTLED


@pytest.mark.parametrize(
    ("account", "code", "disabled"),
    [
        ("000111111113", "R02", True),
        ("000111111116", "R03", True),
        ("000222222227", "R01", False),
        ("000333333335", "R10", False),
    ],
)
def test_a_returned_debit_is_unposted_to_the_cent_with_one_nsf_fee(
    borrower_client,
    linked_loan,
    add_bank,
    account,
    code,
    disabled,
    django_capture_on_commit_callbacks,
):
    from payments.services import settle_payments

    method = add_bank(account)
    before = Loan.objects.values("principal_balance", "paid_toward_installments").get(
        pk=linked_loan.pk
    )
    pay(borrower_client, linked_loan, method)
    with django_capture_on_commit_callbacks(execute=True):
        settle_payments(on=dt.date(2026, 11, 27))
    settle_payments(on=dt.date(2026, 11, 30))  # a rerun changes nothing
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.RETURNED and payment.return_code == code
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance == before["principal_balance"]
    assert linked_loan.paid_toward_installments == before["paid_toward_installments"]
    assert linked_loan.unpaid_fees == Decimal("25.00")  # the lender's NSF fee, once
    method.refresh_from_db()
    assert bool(method.disabled_reason) is disabled
    assert [m.subject for m in mail.outbox] == ["Your bank returned your payment of $483.32"]


def test_after_the_cut_off_a_payment_counts_the_next_business_day(
    client, borrower, linked_loan, add_card
):
    card = add_card("4242424242424242")
    with time_machine.travel(AFTER_CUTOFF, tick=False):
        client.force_login(borrower)
        pay(client, linked_loan, card)
    assert Payment.objects.get().effective_date == dt.date(2026, 11, 25)


def test_a_scheduled_payment_waits_and_can_be_cancelled_before_its_cut_off(
    borrower_client, linked_loan, add_card
):
    card = add_card("4242424242424242")
    response = pay(borrower_client, linked_loan, card, pay_on="2026-11-28")  # a Saturday
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.SCHEDULED
    assert payment.effective_date == dt.date(2026, 11, 30)  # the next business day
    assert not SandboxCharge.objects.exists()
    borrower_client.post(reverse("payments:cancel", args=[payment.reference]))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("other_amount", "error"),
    [
        ("0", "at least $0.01"),
        ("-5", "dollars and cents"),
        ("abc", "dollars and cents"),
        ("12.345", "dollars and cents"),
        ("NaN", "dollars and cents"),
        ("1e3", "dollars and cents"),
        ("21401.75", "more than your payoff amount ($21,401.74)"),
    ],
)
def test_bad_amounts_get_a_message_next_to_the_field_and_nothing_is_charged(
    borrower_client, linked_loan, add_card, other_amount, error
):
    card = add_card("4242424242424242")
    response = borrower_client.post(
        reverse("payments:pay", args=[linked_loan.pk]),
        {
            "amount_choice": "other",
            "other_amount": other_amount,
            "method": str(card.pk),
            "pay_on": "2026-11-24",
        },
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert 'class="field__error"' in response.content.decode()
    assert not Payment.objects.exists() and not SandboxCharge.objects.exists()


def test_dates_in_the_past_or_beyond_30_days_are_refused(borrower_client, linked_loan, add_card):
    card = add_card("4242424242424242")
    for day, error in [("2026-11-23", "today or a later date"), ("2026-12-25", "within 30 days")]:
        response = borrower_client.post(
            reverse("payments:pay", args=[linked_loan.pk]),
            {"amount_choice": "due", "method": str(card.pk), "pay_on": day},
        )
        assert error in response.content.decode()
    assert not Payment.objects.exists()


def test_a_double_submit_makes_one_payment_and_both_land_on_the_same_receipt(
    borrower_client, linked_loan, add_card
):
    card = add_card("4242424242424242")
    review_url = start(borrower_client, linked_loan, card)
    first = borrower_client.post(review_url)
    second = borrower_client.post(review_url)
    assert first["Location"] == second["Location"]
    assert Payment.objects.count() == SandboxCharge.objects.count() == 1
    assert borrower_client.get(review_url)["Location"] == first["Location"]


def test_a_second_payment_of_the_same_amount_within_10_minutes_needs_confirmation(
    borrower_client, linked_loan, add_card
):
    card = add_card("4242424242424242")
    pay(borrower_client, linked_loan, card, amount_choice="other", other_amount="100.00")
    second = pay(borrower_client, linked_loan, card, amount_choice="other", other_amount="100.00")
    assert second.status_code == 200
    assert "This looks like a duplicate" in second.content.decode()
    assert Payment.objects.count() == SandboxCharge.objects.count() == 1
    pay(
        borrower_client,
        linked_loan,
        card,
        confirm_duplicate=True,
        amount_choice="other",
        other_amount="100.00",
    )
    assert Payment.objects.count() == SandboxCharge.objects.count() == 2


def test_another_borrowers_loan_or_method_is_404_and_nothing_is_charged(
    borrower_client, linked_loan, add_card
):
    from django.test import Client
    from factories import UserFactory

    stranger = UserFactory()
    client = Client()  # the stranger's own browser
    strangers_card = add_card("4242424242424242", owner=stranger)
    mine = add_card("5555555555554444")
    # A method that isn't mine is not a valid choice.
    response = borrower_client.post(
        reverse("payments:pay", args=[linked_loan.pk]),
        {"amount_choice": "due", "method": str(strangers_card.pk), "pay_on": "2026-11-24"},
    )
    assert "Select a valid choice" in response.content.decode()
    # A loan that isn't theirs: 404 on GET and POST for the stranger.
    client.force_login(stranger)
    url = reverse("payments:pay", args=[linked_loan.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(
            url, {"amount_choice": "due", "method": str(strangers_card.pk), "pay_on": "2026-11-24"}
        ).status_code
        == 404
    )
    pay(borrower_client, linked_loan, mine)
    payment = Payment.objects.get()
    detail = reverse("payments:detail", args=[payment.reference])
    assert client.get(detail).status_code == 404
    assert client.post(reverse("payments:cancel", args=[payment.reference])).status_code == 404
    assert SandboxCharge.objects.count() == 1


def test_a_scheduled_payment_is_sent_on_its_date_once_however_often_the_job_runs(
    borrower_client, linked_loan, add_card
):
    from payments.services import submit_scheduled_payments

    card = add_card("4242424242424242")
    pay(borrower_client, linked_loan, card, pay_on="2026-12-01")
    assert submit_scheduled_payments(on=dt.date(2026, 11, 30)) == {
        "due": 0,
        "charged": 0,
        "failed": 0,
        "cancelled": 0,
    }
    with time_machine.travel(dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC), tick=False):
        # The job missed Dec 1 and 2: the next run catches up; a rerun changes nothing.
        assert submit_scheduled_payments(on=dt.date(2026, 12, 3))["charged"] == 1
        assert submit_scheduled_payments(on=dt.date(2026, 12, 3))["due"] == 0
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.POSTED
    assert payment.effective_date == dt.date(2026, 12, 1)  # it counts on the date chosen
    assert SandboxCharge.objects.count() == 1


def test_paying_off_after_the_cut_off_includes_the_extra_day_and_closes_the_loan(
    client, borrower, linked_loan, add_card
):
    card = add_card("4242424242424242")
    # A card on file for a while: a brand-new one paying this much is held for review.
    PaymentMethod.objects.filter(pk=card.pk).update(
        created_at=BEFORE_CUTOFF - dt.timedelta(days=90)
    )
    with time_machine.travel(AFTER_CUTOFF, tick=False):
        client.force_login(borrower)
        review = client.get(start(client, linked_loan, card, amount_choice="payoff"))
        # Counts on Wed 25th: 20 days of interest (21335.10 × 6 % / 365 × 20 = 70.14).
        assert "Pay $21,405.24" in review.content.decode()
        pay(client, linked_loan, card, amount_choice="payoff")
    payment = Payment.objects.get()
    assert (payment.amount, payment.is_payoff) == (Decimal("21405.24"), True)
    linked_loan.refresh_from_db()
    assert linked_loan.status == Loan.Status.PAID_OFF
    assert linked_loan.principal_balance == linked_loan.accrued_interest == Decimal("0.00")


def test_a_bank_payment_keeps_the_authorization_the_payer_confirmed(
    borrower_client, linked_loan, add_bank
):
    account = add_bank("000123456789")
    review = borrower_client.get(start(borrower_client, linked_loan, account)).content.decode()
    text = (
        f"I authorize iSmartPay, servicer for {linked_loan.lender.name}, to debit $483.32 once "
        "from Checking •••• 6789 on or after November 24, 2026, "
        f"for loan {linked_loan.loan_number}."
    )
    assert text in review
    pay(borrower_client, linked_loan, account)
    assert Payment.objects.get().authorization_text == text
    assert Payment.objects.get().authorization_version == "OT-2026-12"


def test_an_unverified_bank_account_cannot_be_debited_until_its_deposits_are_confirmed(
    borrower, borrower_client, linked_loan, add_bank
):
    from payments.errors import MethodNotUsable
    from payments.services import payment_submit

    account = add_bank("000123456789", verified=False)
    page = borrower_client.get(reverse("payments:pay", args=[linked_loan.pk])).content.decode()
    assert "It can pay once you confirm the two small deposits" in page
    assert f'value="{account.pk}"' not in page  # not offered as a choice
    with pytest.raises(MethodNotUsable, match="Confirm the two small deposits"):
        payment_submit(
            loan_id=linked_loan.pk,
            method=account,
            amount=Decimal("10.00"),
            idempotency_key="unverified",
            payer=borrower,
            payer_email=borrower.email,
        )
    assert not Payment.objects.exists() and not SandboxCharge.objects.exists()


def test_when_the_cut_off_passes_between_review_and_confirm_the_new_date_is_shown_first(
    client, borrower, linked_loan, add_card
):
    card = add_card("4242424242424242")
    at_4_58 = dt.datetime(2026, 11, 24, 21, 58, tzinfo=dt.UTC)  # 16:58 in New York
    with time_machine.travel(at_4_58, tick=False):
        client.force_login(borrower)
        review_url = start(client, linked_loan, card)
        review = client.get(review_url).content.decode()
        assert "Tuesday, Nov 24, 2026" in review
    with time_machine.travel(at_4_58 + dt.timedelta(minutes=2, seconds=15), tick=False):
        response = client.post(review_url, {"shown_effective": "2026-11-24"})
        assert response.status_code == 200
        page = response.content.decode()
        assert "would count on Wednesday, November 25" in page
        assert not Payment.objects.exists() and not SandboxCharge.objects.exists()
        response = client.post(review_url, {"shown_effective": "2026-11-25"})
    assert response.status_code == 302
    assert Payment.objects.get().effective_date == dt.date(2026, 11, 25)
