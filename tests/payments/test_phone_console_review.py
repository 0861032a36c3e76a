"""Second new-user review of the staff console, the phone page: a held phone payment's
confirmation said when it counts on the loan (it is not charged until a supervisor approves
it); the script read aloud had the lender and date as blanks and said "today" after the
cut-off without saying when the payment counts."""

import datetime as dt

import pytest
import time_machine
from staff_helpers import form_token
from staff_money_helpers import TUESDAY, make_staff, staff_client

from accounts.roles import SUPPORT_AGENT
from payments.models import Payment, SandboxCharge

pytestmark = pytest.mark.django_db
PHONE_URL = "/admin/payments/payment/phone/"
AFTER_CUTOFF = dt.datetime(2026, 11, 24, 22, 30, tzinfo=dt.UTC)  # 17:30 in New York


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def phone_form(loan, key, amount):
    return {
        "loan_number": loan.loan_number,
        "amount": amount,
        "kind": "card",
        "card_number": "4242 4242 4242 4242",
        "card_exp": "12/30",
        "card_cvc": "864",
        "card_zip": "10001",
        "authorized_by": "Dana Demo",
        "authorization_read": "on",
        "idempotency_key": key,
        "submit_token": form_token(),
    }


def test_a_held_phone_payment_confirmation_says_it_waits_for_a_supervisor(client, linked_loan):
    with time_machine.travel(AFTER_CUTOFF, tick=False):
        staff_client(client, make_staff(SUPPORT_AGENT))
        key = client.get(PHONE_URL).context["form"].initial["idempotency_key"]
        # A card added now paying more than three installments, not an amount offered: held.
        response = client.post(PHONE_URL, phone_form(linked_loan, key, "1933.29"), follow=True)
    payment = Payment.objects.get()
    assert payment.status == "held"
    assert not SandboxCharge.objects.exists()
    assert [str(m) for m in response.context["messages"]] == [
        f"Held for review. Confirmation number {payment.reference} — read it back to the "
        "borrower. The payment is held for review: the card or account will not be charged "
        "until a supervisor approves it."
    ]


def test_the_phone_script_opened_from_a_loan_names_the_lender_and_todays_date(client, linked_loan):
    staff_client(client, make_staff(SUPPORT_AGENT))
    lender = linked_loan.lender
    url = f"{PHONE_URL}?loan_number={linked_loan.loan_number}&lender={lender.pk}"
    intro = client.get(url).context["intro"]
    assert intro == (
        "Charged through the same processor and checks as the borrower's own payment. Read "
        "this aloud before you submit, saying the amount and the card or account ending where "
        f"marked: You authorize {lender.name} to charge [AMOUNT — say it] to [CARD OR ACCOUNT "
        "ENDING — say the last 4 digits] today, November 24, 2026, as a one-time payment on "
        f"loan {linked_loan.loan_number}. This is a single payment, not a recurring one."
    )


def test_the_phone_script_after_the_cutoff_says_when_the_payment_counts(client, linked_loan):
    lender = linked_loan.lender
    url = f"{PHONE_URL}?loan_number={linked_loan.loan_number}&lender={lender.pk}"
    with time_machine.travel(AFTER_CUTOFF, tick=False):
        staff_client(client, make_staff(SUPPORT_AGENT))
        intro = client.get(url).context["intro"]
    assert intro.endswith(
        "This is a single payment, not a recurring one. It is after "
        f"{lender.name}'s cut-off, so the payment counts on the loan on Wednesday, "
        "November 25, 2026 (the next business day)."
    )
    assert "November 24, 2026" in intro  # charged today, the lender's business date
