"""Issue 13: a remittance file (lockbox or cash network) is validated by line, posted all or
nothing, idempotent by the money (tests/payments/test_remittance_money_key.py); lines matching
no loan are held in suspense."""

from decimal import Decimal

import pytest
import time_machine
from staff_helpers import form_token
from staff_money_helpers import TODAY, TUESDAY, make_staff, staff_client

from accounts.models import AuditEvent
from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans.models import LoanPosting
from payments.models import Payment, SuspenseItem
from payments.services.remittance import remittance_import

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def file_for(loan):
    return (
        "\ufefflender_name,loan_number,amount,date,reference\r\n"
        f"{loan.lender.name},{loan.loan_number},483.32,2026-11-24,LB-0001\r\n"
        f",{loan.loan_number},100.00,2026-11-23,LB-0002\r\n"
        ",NO-SUCH-LOAN,75.50,2026-11-24,LB-0003\r\n"
    )


def test_a_remittance_file_posts_matched_lines_and_holds_the_unmatched(linked_loan):
    agent = make_staff(SUPPORT_AGENT)
    result = remittance_import(
        text=file_for(linked_loan),
        channel="lockbox",
        lender=linked_loan.lender,
        actor=agent,
        today=TODAY,
    )
    assert (result.errors, result.posted, result.held, result.skipped) == ([], 2, 1, 0)
    payments = Payment.objects.order_by("pk")
    assert [(p.amount, p.channel, p.source, p.method_label) for p in payments] == [
        (Decimal("100.00"), "lockbox", "remittance", "Lockbox LB-0002"),  # dated earlier
        (Decimal("483.32"), "lockbox", "remittance", "Lockbox LB-0001"),
    ]
    item = SuspenseItem.objects.get()
    assert (item.amount, item.reason, item.reference, item.loan) == (
        Decimal("75.50"),
        "unidentified",
        "LB-0003",
        None,
    )
    linked_loan.refresh_from_db()
    # Posted in date order: 100.00 on Nov 23 (18 days' interest $63.13, principal $36.87),
    # then 483.32 on Nov 24 (1 day's interest $3.50, principal $479.82).
    assert linked_loan.principal_balance == Decimal("20818.41")
    assert AuditEvent.objects.filter(action="payment.remittance").count() == 1


def test_re_importing_the_same_file_posts_nothing_twice(linked_loan):
    text = file_for(linked_loan)
    remittance_import(
        text=text, channel="lockbox", lender=linked_loan.lender, actor=None, today=TODAY
    )
    again = remittance_import(
        text=text, channel="lockbox", lender=linked_loan.lender, actor=None, today=TODAY
    )
    assert (again.errors, again.posted, again.held, again.skipped) == ([], 0, 0, 3)
    assert Payment.objects.count() == 2
    assert SuspenseItem.objects.count() == 1
    assert LoanPosting.objects.filter(kind="payment").count() == 2


def test_one_bad_line_is_reported_by_number_and_nothing_is_written(linked_loan):
    text = (
        "loan_number,amount,date,reference\n"
        f"{linked_loan.loan_number},483.32,2026-11-24,LB-0001\n"
        f"{linked_loan.loan_number},12.345,2026-11-24,LB-0002\n"
        f"{linked_loan.loan_number},10.00,24/11/2026,LB-0003\n"
        f"{linked_loan.loan_number},483.32,2026-11-24,LB-0001\n"
        f"{linked_loan.loan_number},10.00,2026-11-24,\n"
    )
    result = remittance_import(
        text=text, channel="lockbox", lender=linked_loan.lender, actor=None, today=TODAY
    )
    assert [e.line for e in result.errors] == [3, 4, 5, 6]
    assert "amount" in str(result.errors[0]) and "date" in str(result.errors[1])
    assert "line 5 repeats line 2" in str(result.errors[2])
    assert not Payment.objects.exists() and not SuspenseItem.objects.exists()
    assert not LoanPosting.objects.filter(kind="payment").exists()
    assert not AuditEvent.objects.exists()


def test_a_file_without_its_columns_is_refused(linked_loan):
    result = remittance_import(
        text="loan,amt\n1,2\n",
        channel="moneygram",
        lender=linked_loan.lender,
        actor=None,
        today=TODAY,
    )
    assert [str(e) for e in result.errors] == [
        "line 1: missing column(s): loan_number, amount, date, reference"
    ]


def test_the_admin_import_page_reports_errors_by_line_and_needs_the_permission(client, linked_loan):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = "/admin/payments/payment/remittance/"
    bad = b"loan_number,amount,date,reference\nX,abc,2026-11-24,R1\n"
    staff_client(client, make_staff())
    assert client.get(url).status_code == 403
    staff_client(client, make_staff(SUPPORT_AGENT))
    page = client.post(
        url,
        {
            "lender": linked_loan.lender_id,
            "channel": "lockbox",
            "file": SimpleUploadedFile("lb.csv", bad, "text/csv"),
            "submit_token": form_token(),
        },
    )
    assert page.status_code == 200 and "line 2: amount" in page.content.decode()
    good = file_for(linked_loan).encode()
    # $658.82 in all: within this lender's threshold, so it posts at once (above it, one
    # request another supervisor approves: test_remittance_four_eyes.py).
    linked_loan.lender.four_eyes_threshold = Decimal("1000.00")
    linked_loan.lender.save(update_fields=["four_eyes_threshold"])
    staff_client(client, make_staff(SUPERVISOR))
    done = client.post(
        url,
        {
            "lender": linked_loan.lender_id,
            "channel": "lockbox",
            "file": SimpleUploadedFile("lb.csv", good, "text/csv"),
            "submit_token": form_token(),
        },
    )
    assert done.status_code == 302
    assert Payment.objects.count() == 2 and SuspenseItem.objects.count() == 1
