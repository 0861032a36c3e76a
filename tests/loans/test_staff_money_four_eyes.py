"""Attacker review of the staff console's money actions: a check of any size recorded by an
agent alone; suspense refunds, returned checks, moved payments and rate changes without four
eyes; the threshold defeated by splitting; a double submit acting twice; an approved request
whose process died never finished. Each case here is the review's reproduction."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from staff_helpers import NOW, TODAY, make_staff, staff_client

from accounts.models import AuditEvent
from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans.models import Loan, LoanPosting, StaffRequest
from loans.staff_requests import _claim, staff_action_submit, staff_request_approve
from payments.models import Payment, SuspenseItem
from payments.recovery import recovery_sweep
from payments.services.received import payment_record_received

pytestmark = pytest.mark.django_db
REASON = "Customer goodwill after a servicing error"
RECORD_URL = "/admin/payments/payment/record/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent():
    return make_staff(SUPPORT_AGENT)


@pytest.fixture
def supervisor():
    return make_staff(SUPERVISOR)


@pytest.fixture
def second_supervisor():
    return make_staff(SUPERVISOR)


def threshold(loan, dollars):
    loan.lender.four_eyes_threshold = Decimal(dollars)
    loan.lender.save(update_fields=["four_eyes_threshold"])


def check_form(loan, amount, reference="77001", once="once-check-1"):
    return {
        "loan_number": loan.loan_number,
        "channel": "check",
        "amount": amount,
        "effective_date": TODAY.isoformat(),
        "reference": reference,
        "reason": "Check mailed to the office",
        "submit_token": once,
    }


def a_check(loan, amount, reference="5001"):
    return payment_record_received(
        loan_id=loan.pk,
        channel="check",
        amount=Decimal(amount),
        effective_date=TODAY,
        reference=reference,
        actor=None,
    )


# --- 1. money received in hand ---------------------------------------------------------------


def test_an_agents_billion_dollar_check_is_a_request_showing_what_goes_to_suspense(
    linked_loan, agent
):
    response = staff_client(agent).post(RECORD_URL, check_form(linked_loan, "1000000000.00"))

    request = StaffRequest.objects.get()
    assert response["Location"] == f"/admin/loans/staffrequest/{request.pk}/change/"
    assert (request.kind, request.status, request.amount, request.requested_by) == (
        "record_received",
        "pending",
        Decimal("1000000000.00"),
        agent,
    )
    assert request.params == {
        "channel": "check",
        "reference": "77001",
        "effective_date": "2026-11-24",
    }
    assert request.before["payoff"] == "21401.74"
    assert (request.after["payoff"], request.after["suspense"]) == ("0.00", "999978598.26")
    assert not Payment.objects.exists() and not SuspenseItem.objects.exists()
    linked_loan.refresh_from_db()
    assert linked_loan.status == Loan.Status.CURRENT
    assert AuditEvent.objects.get(action="staff_request.create").actor == agent
    page = staff_client(make_staff(SUPERVISOR)).get(
        f"/admin/loans/staffrequest/{request.pk}/change/"
    )
    assert "Held in suspense" in page.content.decode()
    assert "$999,978,598.26" in page.content.decode()


def test_the_agent_cannot_approve_the_check_and_another_supervisor_executes_it_once(
    linked_loan, agent, supervisor
):
    staff_client(agent).post(RECORD_URL, check_form(linked_loan, "1000000000.00"))
    request = StaffRequest.objects.get()
    approve = f"/admin/loans/staffrequest/{request.pk}/approve/"
    assert staff_client(agent).post(approve).status_code == 403

    staff_client(supervisor).post(approve)
    staff_client(supervisor).post(approve)  # a second click: already executed

    request.refresh_from_db()
    payment = Payment.objects.get()
    item = SuspenseItem.objects.get()
    assert (request.status, request.decided_by, request.payment) == (
        "executed",
        supervisor,
        payment,
    )
    assert (payment.amount, payment.applied_amount, item.amount) == (
        Decimal("1000000000.00"),
        Decimal("21401.74"),
        Decimal("999978598.26"),
    )
    assert request.posting_id == payment.loan_posting_id
    assert AuditEvent.objects.get(action="payment.record_received").actor == supervisor


def test_a_check_at_the_threshold_is_recorded_by_the_agent_alone(linked_loan, agent):
    threshold(linked_loan, "483.32")

    response = staff_client(agent).post(RECORD_URL, check_form(linked_loan, "483.32"))

    payment = Payment.objects.get()
    assert response["Location"] == f"/admin/payments/payment/{payment.pk}/change/"
    done = StaffRequest.objects.get()
    assert (done.status, done.acted_alone, done.payment, done.decided_by) == (
        "executed",
        True,
        payment,
        None,
    )


# --- 2. suspense refund, returned check, moved payment, rate change ----------------------------


def test_a_suspense_refund_above_the_threshold_waits_for_a_second_supervisor(
    linked_loan, supervisor, second_supervisor
):
    item = a_check(linked_loan, "22000.00").suspense  # $598.26 held
    url = f"/admin/payments/suspenseitem/{item.pk}/refund/"
    form = {"amount": "598.26", "reference": "OUT-1", "reason": REASON, "submit_token": "t1"}

    staff_client(supervisor).post(url, form)

    request = StaffRequest.objects.get()
    item.refresh_from_db()
    assert (request.kind, request.status, request.params) == (
        "suspense_refund",
        "pending",
        {"item": item.pk, "reference": "OUT-1"},
    )
    assert (request.before["suspense"], request.after["suspense"]) == ("598.26", "0.00")
    assert item.balance == Decimal("598.26")
    staff_request_approve(request_id=request.pk, actor=second_supervisor, on=TODAY)
    item.refresh_from_db()
    assert (item.balance, item.status) == (Decimal("0.00"), "cleared")


def test_returning_a_check_that_reverses_more_than_the_threshold_is_a_request(
    linked_loan, supervisor, second_supervisor
):
    payment = a_check(linked_loan, "483.32").payment
    url = f"/admin/payments/payment/{payment.pk}/return-check/"
    form = {"return_code": "NSF", "reason": "Returned unpaid by the bank", "submit_token": "r1"}

    staff_client(supervisor).post(url, form)

    payment.refresh_from_db()
    request = StaffRequest.objects.get()
    assert (payment.status, request.kind, request.amount, request.params) == (
        "posted",
        "return_check",
        Decimal("483.32"),
        {"return_code": "NSF"},
    )
    with pytest.raises(Exception, match="another supervisor"):
        staff_request_approve(request_id=request.pk, actor=supervisor, on=TODAY)
    staff_request_approve(request_id=request.pk, actor=second_supervisor, on=TODAY)
    payment.refresh_from_db()
    request.refresh_from_db()
    assert (payment.status, payment.return_code, request.status) == ("returned", "NSF", "executed")
    assert request.posting.reverses_id == payment.loan_posting_id


def test_moving_a_payment_above_the_threshold_is_a_request(
    linked_loan, supervisor, second_supervisor
):
    from factories import LoanFactory

    target = LoanFactory(
        lender=linked_loan.lender,  # money stays with the lender that received it
        principal_balance=Decimal("10000.00"),
        interest_accrued_through=TODAY,
    )
    payment = a_check(linked_loan, "483.32").payment
    form = {"loan_number": target.loan_number, "reason": REASON, "submit_token": "m1"}

    staff_client(supervisor).post(f"/admin/payments/payment/{payment.pk}/move/", form)

    request = StaffRequest.objects.get()
    assert (request.kind, request.amount, request.params) == (
        "move_payment",
        Decimal("483.32"),
        {"to_loan": target.pk},
    )
    assert not Payment.objects.filter(loan=target).exists()
    staff_request_approve(request_id=request.pk, actor=second_supervisor, on=TODAY)
    moved = Payment.objects.get(loan=target)
    request.refresh_from_db()
    assert (moved.amount, request.status, request.params["new_payment"]) == (
        Decimal("483.32"),
        "executed",
        moved.pk,
    )


def test_a_rate_change_always_needs_a_second_supervisor(
    linked_loan, agent, supervisor, second_supervisor
):
    threshold(linked_loan, "1000000.00")
    url = f"/admin/loans/loan/{linked_loan.pk}/rate/"
    form = {"apr_percent": "5.500", "reason": REASON, "submit_token": "rate-1"}
    assert staff_client(agent).post(url, form).status_code == 403

    staff_client(supervisor).post(url, form)

    linked_loan.refresh_from_db()
    request = StaffRequest.objects.get()
    assert (linked_loan.apr_percent, request.kind, request.amount, request.status) == (
        Decimal("6.000"),
        "rate_change",
        None,
        "pending",
    )
    assert (request.before["apr_percent"], request.after["apr_percent"]) == ("6.000", "5.500")
    staff_request_approve(request_id=request.pk, actor=second_supervisor, on=TODAY)
    linked_loan.refresh_from_db()
    assert linked_loan.apr_percent == Decimal("5.500")


# --- 3. splitting ----------------------------------------------------------------------------


def _credit(user, loan, amount, token):
    return staff_action_submit(
        kind="credit",
        loan_id=loan.pk,
        amount=Decimal(amount),
        reason=REASON,
        actor=user,
        on=TODAY,
        token=token,
    )


def test_split_credits_count_together_for_the_lenders_business_day_by_anyone(
    linked_loan, supervisor, second_supervisor
):
    threshold(linked_loan, "1000.00")

    first = _credit(supervisor, linked_loan, "900.00", "s1")
    second = _credit(second_supervisor, linked_loan, "100.00", "s2")  # $1,000.00: at it
    third = _credit(supervisor, linked_loan, "0.01", "s3")  # $1,000.01: above

    assert (first.request, second.request) == (None, None)
    assert (third.request.status, third.request.amount) == ("pending", Decimal("0.01"))
    assert LoanPosting.objects.filter(loan=linked_loan, kind="adjustment").count() == 2
    # The next business day starts again.
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        assert _credit(supervisor, linked_loan, "900.00", "s4").request is None


def test_ten_900_dollar_credits_under_a_1000_threshold_go_alone_only_once(linked_loan, supervisor):
    threshold(linked_loan, "1000.00")

    outcomes = [_credit(supervisor, linked_loan, "900.00", f"ten-{n}") for n in range(10)]

    assert [o.request is None for o in outcomes] == [True] + [False] * 9
    assert LoanPosting.objects.filter(loan=linked_loan, kind="adjustment").count() == 1


def test_approved_and_pending_requests_do_not_count_as_done_alone(
    linked_loan, supervisor, second_supervisor
):
    threshold(linked_loan, "1000.00")
    big = _credit(supervisor, linked_loan, "5000.00", "big").request
    staff_request_approve(request_id=big.pk, actor=second_supervisor, on=TODAY)
    _credit(supervisor, linked_loan, "2000.00", "pending")  # waits

    assert _credit(supervisor, linked_loan, "1000.00", "alone").request is None


# --- 4. double submit ------------------------------------------------------------------------


def test_a_double_submitted_solo_credit_credits_once(linked_loan, supervisor):
    threshold(linked_loan, "1000.00")
    client = staff_client(supervisor)
    page = client.get(f"/admin/loans/loan/{linked_loan.pk}/credit/")
    token = page.context["form"].initial["submit_token"]
    assert f'name="submit_token" value="{token}"' in page.content.decode()
    form = {"amount": "200.00", "reason": REASON, "submit_token": token}

    first = client.post(f"/admin/loans/loan/{linked_loan.pk}/credit/", form)
    again = client.post(f"/admin/loans/loan/{linked_loan.pk}/credit/", form)

    assert first["Location"] == again["Location"]
    assert LoanPosting.objects.filter(kind="adjustment").count() == 1
    assert AuditEvent.objects.filter(action="loan.credit").count() == 1
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance == Decimal("21201.74")  # $66.64 of interest first


def test_a_double_submitted_solo_waiver_waives_once(supervisor):
    from factories import LoanFactory

    loan = LoanFactory(ten_paid=True, unpaid_fees=Decimal("125.00"))
    form = {"amount": "100.00", "reason": REASON, "submit_token": "waive-once"}
    client = staff_client(supervisor)

    first = client.post(f"/admin/loans/loan/{loan.pk}/waive-fee/", form)
    # Only $25.00 is unpaid now: the resubmit still gets the first outcome, not a refusal.
    again = client.post(f"/admin/loans/loan/{loan.pk}/waive-fee/", form)

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/admin/loans/loan/{loan.pk}/change/"
    loan.refresh_from_db()
    assert loan.unpaid_fees == Decimal("25.00")
    assert LoanPosting.objects.filter(kind="fee_waiver").count() == 1


def test_a_double_submitted_check_records_once(linked_loan, agent):
    threshold(linked_loan, "1000.00")
    client = staff_client(agent)

    first = client.post(RECORD_URL, check_form(linked_loan, "483.32", once="dbl"))
    again = client.post(RECORD_URL, check_form(linked_loan, "483.32", once="dbl"))
    # The reference retyped on the same form is another check: refused, never "replayed"
    # (test_submit_token_binding.py).
    retyped = client.post(RECORD_URL, check_form(linked_loan, "483.32", "77002", once="dbl"))

    assert first["Location"] == again["Location"]
    assert retyped.status_code == 200 and "open the page again" in retyped.content.decode()
    assert Payment.objects.count() == 1
    assert AuditEvent.objects.filter(action="payment.record_received").count() == 1


def test_a_double_submitted_request_is_one_request(linked_loan, agent):
    form = {"amount": "200.00", "reason": REASON, "submit_token": "req-once"}
    client = staff_client(agent)

    first = client.post(f"/admin/loans/loan/{linked_loan.pk}/credit/", form)
    again = client.post(f"/admin/loans/loan/{linked_loan.pk}/credit/", form)

    request = StaffRequest.objects.get()
    assert (
        first["Location"]
        == again["Location"]
        == (f"/admin/loans/staffrequest/{request.pk}/change/")
    )
    assert AuditEvent.objects.filter(action="staff_request.create").count() == 1


# --- 5. an approved request whose process died -----------------------------------------------


def test_the_sweep_finishes_a_request_claimed_before_a_crash_once(linked_loan, agent, supervisor):
    request = _credit(agent, linked_loan, "200.00", "crash").request
    _claim(request.pk, supervisor, StaffRequest.Status.APPROVED, "")  # then the process died

    assert "requests_resumed" not in recovery_sweep()  # within the grace: left alone
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        first = recovery_sweep()
        again = recovery_sweep()

    request.refresh_from_db()
    assert first["requests_resumed"] == 1
    assert not any(key.startswith("requests_") for key in again)
    assert request.status == "executed"
    posting = LoanPosting.objects.get(kind="adjustment")
    assert (request.posting, posting.principal, posting.created_by) == (
        posting,
        Decimal("133.36"),  # after $66.64 of interest
        supervisor,
    )
    assert AuditEvent.objects.get(action="staff_request.resume").target_id == str(request.pk)


def test_the_sweep_finishes_an_action_done_alone_whose_process_died(linked_loan, supervisor):
    threshold(linked_loan, "1000.00")
    done = StaffRequest.objects.create(  # claimed alone, committed, then the process died
        kind="credit",
        loan=linked_loan,
        amount=Decimal("300.00"),
        reason=REASON,
        requested_by=supervisor,
        acted_alone=True,
        status="approved",
        business_date=TODAY,
    )

    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        recovery_sweep()
        recovery_sweep()

    done.refresh_from_db()
    assert done.status == "executed"
    assert LoanPosting.objects.filter(kind="adjustment").count() == 1
    linked_loan.refresh_from_db()
    assert linked_loan.principal_balance == Decimal("21101.74")  # $66.64 of interest first


@pytest.mark.django_db(transaction=True)
def test_two_900_dollar_credits_submitted_at_once_cannot_both_go_alone(linked_loan):
    threshold(linked_loan, "1000.00")
    supervisors = [make_staff(SUPERVISOR), make_staff(SUPERVISOR)]
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(user, once):
        barrier.wait()
        try:
            outcomes.append(_credit(user, linked_loan, "900.00", once))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=submit, args=(user, f"race-{n}"))
        for n, user in enumerate(supervisors)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(o.request is None for o in outcomes) == [False, True]
    assert LoanPosting.objects.filter(kind="adjustment").count() == 1
    assert StaffRequest.objects.get(status="pending").amount == Decimal("900.00")
