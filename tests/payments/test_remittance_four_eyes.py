"""Attacker review, finding 1: an agent alone paid a loan off with a remittance file (a line
of $1,000,000,000), and a supervisor alone applied $21,401.74 of suspense to a loan. A file is
now one staff request (kind `remittance`) above the lender's four-eyes threshold, and applying
suspense above it is a request too (kind `suspense_apply`); at or below, both post at once and
count against the same day's total (loans/four_eyes_rule.py `may_act_alone`)."""

from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from staff_helpers import NOW, TODAY, form_token, make_staff, staff_client

from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans.models import Loan, StaffRequest
from loans.staff_requests import StaffActionNotAllowed, staff_request_approve
from payments.models import Payment, SuspenseItem
from payments.services.remittance import remittance_import
from payments.services.remittance_parse import remittance_key

pytestmark = pytest.mark.django_db
REASON = "Lockbox money for the wrong account number"
URL = "/admin/payments/payment/remittance/"
PAYOFF = Decimal("21401.74")  # linked_loan's payoff on 2026-11-24


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def upload(client, loan, rows, token=None):
    body = "loan_number,amount,date,reference\n" + "".join(
        f"{number},{amount},{TODAY},{ref}\n" for number, amount, ref in rows
    )
    return client.post(
        URL,
        {
            "lender": loan.lender.pk,
            "channel": "lockbox",
            "file": SimpleUploadedFile("lockbox.csv", body.encode(), content_type="text/csv"),
            "submit_token": token or form_token(),
        },
    )


def test_an_agents_billion_dollar_line_is_one_request_and_posts_only_once_approved(linked_loan):
    agent, approver = make_staff(SUPPORT_AGENT), make_staff(SUPERVISOR)
    number = linked_loan.loan_number
    rows = [(number, "1000000000.00", "LB-1"), ("NOPE-9", "12.00", "LB-2")]

    response = upload(staff_client(agent), linked_loan, rows)

    request = StaffRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/loans/staffrequest/{request.pk}/change/"
    assert (request.kind, request.status, request.amount, request.lender_id) == (
        "remittance",
        "pending",
        Decimal("1000000012.00"),
        linked_loan.lender_id,
    )
    assert request.loan is None and request.params["file_name"] == "lockbox.csv"
    assert [(x["loan_id"], x["amount"], x["reference"]) for x in request.params["lines"]] == [
        (linked_loan.pk, "1000000000.00", "LB-1"),
        (None, "12.00", "LB-2"),
    ]
    assert (request.after["total"], request.after["posts"], request.after["suspense"]) == (
        "1000000012.00",
        str(PAYOFF),
        str(Decimal("1000000012.00") - PAYOFF),
    )
    assert not Payment.objects.exists() and not SuspenseItem.objects.exists()
    page = staff_client(approver).get(f"/admin/loans/staffrequest/{request.pk}/change/")
    text = page.content.decode()
    assert "LB-1" in text and "NOPE-9" in text and "$999,978,610.26" in text
    with pytest.raises(StaffActionNotAllowed):
        staff_request_approve(request_id=request.pk, actor=agent, on=TODAY)

    staff_request_approve(request_id=request.pk, actor=approver, on=TODAY)

    linked_loan.refresh_from_db()
    assert linked_loan.status == Loan.Status.PAID_OFF
    request.refresh_from_db()
    assert (request.status, request.params["posted"], request.params["held"]) == (
        "executed",
        1,
        2,
    )
    key = remittance_key(
        lender_id=linked_loan.lender_id,
        channel="lockbox",
        reference="LB-1",
        loan_number=number,
        date=TODAY,
        amount=Decimal("1000000000.00"),
    )
    assert Payment.objects.get().idempotency_key == key
    assert sorted(SuspenseItem.objects.values_list("amount", flat=True)) == [
        Decimal("12.00"),
        Decimal("1000000000.00") - PAYOFF,
    ]
    again = remittance_import(
        lines=request.params["lines"],
        channel="lockbox",
        lender=linked_loan.lender,
        actor=approver,
    )
    assert (again.posted, again.held, again.skipped) == (0, 0, 2)


def test_a_file_at_the_threshold_posts_at_once_and_counts_against_the_days_total(linked_loan):
    # Files are money received: the lender's received threshold, set to $100.00 here.
    linked_loan.lender.received_four_eyes_threshold = Decimal("100.00")
    linked_loan.lender.save(update_fields=["received_four_eyes_threshold"])
    agent = make_staff(SUPPORT_AGENT)
    client = staff_client(agent)

    first = upload(client, linked_loan, [(linked_loan.loan_number, "60.00", "LB-1")])
    second = upload(client, linked_loan, [(linked_loan.loan_number, "40.00", "LB-2")])
    third = upload(client, linked_loan, [(linked_loan.loan_number, "0.01", "LB-3")])

    assert first["Location"] == second["Location"] == "/admin/payments/payment/"
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [
        Decimal("40.00"),
        Decimal("60.00"),
    ]
    waiting = StaffRequest.objects.get(status="pending")
    assert third["Location"] == f"/admin/loans/staffrequest/{waiting.pk}/change/"
    assert list(
        StaffRequest.objects.order_by("pk").values_list("acted_alone", "status", "amount")
    ) == [
        (True, "executed", Decimal("60.00")),
        (True, "executed", Decimal("40.00")),
        (False, "pending", Decimal("0.01")),
    ]


def test_a_lockbox_file_uses_the_received_threshold_like_a_check_keyed_by_hand(linked_loan):
    """New-user review, round 2: a $400 lockbox file of 3 items went to a supervisor (the $100
    waiver threshold) while a $450 check keyed by hand posted alone. Both are money received:
    the lender's received threshold ($2,500.00 by default) applies to both."""
    client = staff_client(make_staff(SUPPORT_AGENT))

    done = upload(client, linked_loan, [(linked_loan.loan_number, "400.00", "LB-9")])

    assert done["Location"] == "/admin/payments/payment/"
    assert list(StaffRequest.objects.values_list("acted_alone", "status")) == [(True, "executed")]


def test_a_supervisor_alone_cannot_apply_suspense_above_the_threshold(linked_loan):
    agent, supervisor, approver = (make_staff(r) for r in (SUPPORT_AGENT, SUPERVISOR, SUPERVISOR))
    remittance_import(
        text=f"loan_number,amount,date,reference\nNOPE-1,50000.00,{TODAY},LB-9\n",
        channel="lockbox",
        lender=linked_loan.lender,
        actor=agent,
    )
    item = SuspenseItem.objects.get()
    form = {
        "loan_number": linked_loan.loan_number,
        "amount": str(PAYOFF),
        "reason": REASON,
        "submit_token": form_token(),
    }

    response = staff_client(supervisor).post(f"/admin/payments/suspenseitem/{item.pk}/apply/", form)

    request = StaffRequest.objects.get()
    assert response["Location"] == f"/admin/loans/staffrequest/{request.pk}/change/"
    assert (request.kind, request.status, request.amount, request.params) == (
        "suspense_apply",
        "pending",
        PAYOFF,
        {"item": item.pk},
    )
    assert (request.before["suspense"], request.after["suspense"], request.after["payoff"]) == (
        "50000.00",
        str(Decimal("50000.00") - PAYOFF),
        "0.00",
    )
    linked_loan.refresh_from_db()
    item.refresh_from_db()
    assert (linked_loan.status, item.balance) == (Loan.Status.CURRENT, Decimal("50000.00"))

    staff_request_approve(request_id=request.pk, actor=approver, on=TODAY)

    linked_loan.refresh_from_db()
    item.refresh_from_db()
    assert (linked_loan.status, item.balance) == (
        Loan.Status.PAID_OFF,
        Decimal("50000.00") - PAYOFF,
    )
    request.refresh_from_db()
    assert request.payment.amount == PAYOFF and request.status == "executed"


def test_applying_suspense_at_the_threshold_is_done_alone_and_recorded(linked_loan):
    supervisor = make_staff(SUPERVISOR)
    remittance_import(
        text=f"loan_number,amount,date,reference\nNOPE-1,100.00,{TODAY},LB-9\n",
        channel="lockbox",
        lender=linked_loan.lender,
        actor=supervisor,
    )
    item = SuspenseItem.objects.get()
    form = {
        "loan_number": linked_loan.loan_number,
        "amount": "100.00",
        "reason": REASON,
        "submit_token": form_token(),
    }

    response = staff_client(supervisor).post(f"/admin/payments/suspenseitem/{item.pk}/apply/", form)

    assert response["Location"] == f"/admin/payments/suspenseitem/{item.pk}/change/"
    done = StaffRequest.objects.get()
    assert (done.kind, done.acted_alone, done.status, done.payment.amount) == (
        "suspense_apply",
        True,
        "executed",
        Decimal("100.00"),
    )
    item.refresh_from_db()
    assert item.balance == Decimal("0.00")
