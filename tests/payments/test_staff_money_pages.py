"""The staff money pages as a new staff member finds and reads them (staff-console review):
reachable by clicking (Payments' tools, the staff home page), the return code chosen, money
in the one format, plain-English messages, the loan an applied suspense item went to."""

from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory
from staff_helpers import form_token
from staff_money_helpers import TODAY, TUESDAY, make_staff, staff_client

from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from payments.forms.staff_money import ReturnCheckForm
from payments.models import SuspenseItem
from payments.services.suspense import suspense_apply

pytestmark = pytest.mark.django_db

LINKS = (
    ('href="/admin/payments/payment/record/"', "Record a payment"),
    ('href="/admin/payments/payment/phone/"', "Take a payment by phone"),
    ('href="/admin/payments/payment/remittance/"', "Import a remittance file"),
)


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def test_the_money_pages_are_linked_from_payments_and_the_staff_home_page(client):
    staff_client(client, make_staff(SUPPORT_AGENT))
    for url in ("/admin/payments/payment/", "/admin/"):
        page = client.get(url).content.decode()
        for href, label in LINKS:
            assert f"{href}>{label}</a>" in page, (url, label)


def test_staff_without_the_permission_see_no_money_page_links(client):
    staff_client(client, make_staff())
    page = client.get("/admin/").content.decode()
    assert "/admin/payments/payment/record/" not in page


def test_the_return_code_starts_blank_and_is_required():
    form = ReturnCheckForm({"reason": "Returned unpaid by the bank"})
    assert form.fields["return_code"].choices[0] == ("", "Choose…")
    assert not form.is_valid()
    assert form.errors["return_code"] == ["This field is required."]


def test_recording_money_the_loan_cannot_take_says_so_in_plain_english(client, linked_loan):
    linked_loan.status = "paid_off"
    linked_loan.save(update_fields=["status"])
    linked_loan.lender.four_eyes_threshold = Decimal("5000.00")  # acts alone
    linked_loan.lender.save(update_fields=["four_eyes_threshold"])
    staff_client(client, make_staff(SUPERVISOR))
    response = client.post(
        "/admin/payments/payment/record/",
        {
            "loan_number": linked_loan.loan_number,
            "channel": "check",
            "amount": "1500.00",
            "effective_date": "2026-11-24",
            "reference": "1234",
            "reason": "Check mailed to the office",
            "submit_token": form_token(),
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "Recorded check #1234 for $1,500.00: the loan could take none of it, so all $1,500.00 "
        "is held in suspense."
    ]


def test_the_suspense_list_shows_the_loan_an_item_was_applied_to_and_money_formatted(client):
    loan = LoanFactory(principal_balance=Decimal("10000.00"), interest_accrued_through=TODAY)
    item = SuspenseItem.objects.create(  # as remittance_import leaves an unmatched line
        idempotency_key="remit:lockbox:LB-1",
        amount=Decimal("1250.00"),
        balance=Decimal("1250.00"),
        reason="unidentified",
        channel="lockbox",
        reference="LB-1",
        received_on=TODAY,
        lender=loan.lender,
    )
    supervisor = make_staff(SUPERVISOR)
    suspense_apply(
        item_id=item.pk,
        loan_id=loan.pk,
        amount=Decimal("1000.00"),
        reason="Borrower called about it",
        actor=supervisor,
    )
    staff_client(client, supervisor)
    page = client.get("/admin/payments/suspenseitem/").content.decode()
    assert f"Applied to {loan.loan_number}" in page
    assert "$1,250.00" in page and "$250.00" in page
