"""Attacker review (staff console): a returned check that had paid a loan off reopens the
loan, but the autopay ended at payoff stayed ended without anybody knowing. It is not
re-enrolled (the borrower's authorization ended); the borrower is emailed through the outbox
that the payment came back, the loan is open again with the amount due, and autopay must be
set up again; the staff return page says so too."""

from decimal import Decimal

import pytest
import time_machine
from staff_helpers import form_token
from staff_money_helpers import TODAY, TUESDAY, make_staff, staff_client

from accounts.roles import SUPERVISOR
from loans.models import Loan
from payments.autopay import schedule as sched
from payments.autopay.services import autopay_enroll
from payments.models import AutopayPlan, Notice
from payments.payment_emails import payment_email as _payment_email
from payments.services.payoff import AUTOPAY_PAID_OFF_REASON
from payments.services.received import payment_record_received
from payments.services.returned_checks import payment_return_received

pytestmark = pytest.mark.django_db
RETURN = {"return_code": "NSF", "reason": "Returned unpaid by the bank"}


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(TUESDAY, tick=False):
        yield


@pytest.fixture
def plan(linked_loan, borrower, add_card):
    return autopay_enroll(
        user=borrower,
        loan_id=linked_loan.pk,
        method=add_card("4242424242424242"),
        terms=sched.PlanTerms(schedule="monthly_due", amount_rule="installment", start_date=TODAY),
        ip_address="203.0.113.9",
        user_agent="pytest",
        now=TUESDAY,
    )


def payoff_check(loan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return payment_record_received(
            loan_id=loan.pk,
            channel="check",
            amount=Decimal("21401.74"),  # the payoff on Nov 24
            effective_date=TODAY,
            reference="9001",
            actor=None,
        ).payment


def kinds(payment):
    return sorted(Notice.objects.filter(payment=payment).values_list("kind", flat=True))


def test_a_returned_payoff_check_reopens_the_loan_and_tells_the_borrower_to_set_up_autopay(
    linked_loan, plan, django_capture_on_commit_callbacks
):
    check = payoff_check(linked_loan, django_capture_on_commit_callbacks)
    plan.refresh_from_db()
    assert (plan.status, plan.ended_reason) == ("ended", AUTOPAY_PAID_OFF_REASON)

    payment_return_received(payment_id=check.pk, actor=None, **RETURN)

    linked_loan.refresh_from_db()
    assert linked_loan.status == Loan.Status.CURRENT
    plan.refresh_from_db()
    assert plan.status == "ended"  # not re-enrolled: the authorization ended at payoff
    assert not AutopayPlan.objects.filter(status__in=AutopayPlan.LIVE_STATUSES).exists()
    assert kinds(check) == ["payment_received", "payment_returned_reopened"]
    subject, body = _payment_email(check, "payment_returned_reopened")
    assert subject == "Your payment of $21,401.74 came back: your loan is open again"
    assert "That payment had paid off your loan, so your loan is open again." in body
    assert "Next payment: $483.32 due December 5, 2026." in body
    assert "Your autopay ended when the loan was paid off" in body
    assert f"/autopay/{linked_loan.pk}/setup/" in body


def test_a_returned_check_that_paid_nothing_off_sends_the_usual_email(linked_loan, plan):
    check = payment_record_received(
        loan_id=linked_loan.pk,
        channel="check",
        amount=Decimal("100.00"),
        effective_date=TODAY,
        reference="9002",
        actor=None,
    ).payment
    payment_return_received(payment_id=check.pk, actor=None, **RETURN)
    assert kinds(check) == ["payment_received", "payment_returned"]
    plan.refresh_from_db()
    assert plan.status == "active"


def test_the_staff_return_page_says_the_loan_reopens_and_autopay_stays_ended(
    client, linked_loan, plan, django_capture_on_commit_callbacks
):
    check = payoff_check(linked_loan, django_capture_on_commit_callbacks)
    # Within the supervisor's own authority, so the return happens at once (no four eyes).
    linked_loan.lender.four_eyes_threshold = Decimal("25000.00")
    linked_loan.lender.save(update_fields=["four_eyes_threshold"])
    url = f"/admin/payments/payment/{check.pk}/return-check/"
    staff_client(client, make_staff(SUPERVISOR))
    before = client.get(url).content.decode()
    assert "marking the check returned reopens it" in before
    done = client.post(url, {**RETURN, "submit_token": form_token()}, follow=True)
    page = done.content.decode()
    assert "The loan is open again. Its autopay ended at payoff and stays ended" in page
    assert kinds(check) == ["payment_received", "payment_returned_reopened"]
