"""Issue 13, "Fees and four eyes": waive a fee, credit, refund and reverse from the admin, each
with its permission, a reason and an audit row; above the lender's threshold a request that
another supervisor approves (never the requester), executed exactly once."""

import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from factories import LenderFactory, LoanFactory, LoanLinkFactory
from staff_helpers import NOW, TODAY, form_token, make_staff, staff_client

from accounts.models import AuditEvent
from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans.models import LoanPosting, StaffRequest
from loans.servicing import ServicingError, loan_credit_adjustment
from loans.staff_requests import StaffActionError, staff_action_submit, staff_request_approve
from payments.models import Payment
from payments.services import new_idempotency_key, payment_submit

REASON = "Customer goodwill after a servicing error"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def fee_loan(borrower):
    """The $25,000 / 6 % loan of conftest's linked_loan with $125.00 of unpaid fees."""
    loan = LoanFactory(
        ten_paid=True,
        unpaid_fees=Decimal("125.00"),
    )
    LoanLinkFactory(user=borrower, loan=loan)
    return loan


@pytest.fixture
def supervisor(db):
    return make_staff(SUPERVISOR)


@pytest.fixture
def second_supervisor(db):
    return make_staff(SUPERVISOR)


@pytest.fixture
def agent(db):
    return make_staff(SUPPORT_AGENT)


def _waive(user, loan, amount):
    return staff_client(user).post(
        f"/admin/loans/loan/{loan.pk}/waive-fee/",
        {"amount": amount, "reason": REASON, "submit_token": form_token()},
    )


def _balances(loan):
    loan.refresh_from_db()
    return (loan.principal_balance, loan.accrued_interest, loan.unpaid_fees)


@pytest.mark.django_db
def test_a_supervisor_waives_a_fee_at_the_threshold_alone_with_an_audit_row(fee_loan, supervisor):
    response = _waive(supervisor, fee_loan, "100.00")

    assert response.status_code == 302
    posting = LoanPosting.objects.get(loan=fee_loan)
    assert (posting.kind, posting.fees, posting.interest, posting.principal) == (
        "fee_waiver",
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert (posting.memo, posting.created_by) == (REASON, supervisor)
    assert _balances(fee_loan) == (Decimal("21335.10"), Decimal("0.00"), Decimal("25.00"))
    audit = AuditEvent.objects.get(action="loan.waive_fee")
    assert (audit.actor, audit.target_id, audit.reason) == (supervisor, str(fee_loan.pk), REASON)
    assert audit.details == {"amount": "100.00", "posting": posting.pk}
    # Acting alone is recorded (it counts against the day's threshold), never left pending.
    done = StaffRequest.objects.get()
    assert (done.status, done.acted_alone, done.decided_by, done.posting) == (
        "executed",
        True,
        None,
        posting,
    )


@pytest.mark.django_db
def test_a_support_agent_may_only_request_a_waiver_even_a_small_one(fee_loan, agent):
    response = _waive(agent, fee_loan, "10.00")

    request = StaffRequest.objects.get()
    assert response["Location"] == f"/admin/loans/staffrequest/{request.pk}/change/"
    assert (request.kind, request.amount, request.status, request.requested_by) == (
        "waive_fee",
        Decimal("10.00"),
        "pending",
        agent,
    )
    assert not LoanPosting.objects.exists()
    assert _balances(fee_loan) == (Decimal("21335.10"), Decimal("0.00"), Decimal("125.00"))
    assert AuditEvent.objects.get(action="staff_request.create").actor == agent


@pytest.mark.django_db
def test_plain_staff_get_403_on_every_action_page(fee_loan, borrower, add_card):
    payment = payment_submit(
        loan_id=fee_loan.pk,
        method=add_card("4242424242424242"),
        amount=Decimal("200.00"),
        idempotency_key=new_idempotency_key(),
        payer=borrower,
        payer_email=borrower.email,
    )
    request = StaffRequest.objects.create(
        kind="waive_fee", loan=fee_loan, amount=Decimal("5.00"), reason=REASON,
        requested_by=make_staff(SUPPORT_AGENT),
    )  # fmt: skip
    client = staff_client(make_staff())
    pages = [
        f"/admin/loans/loan/{fee_loan.pk}/waive-fee/",
        f"/admin/loans/loan/{fee_loan.pk}/credit/",
        f"/admin/loans/loan/{fee_loan.pk}/due_day/",
        f"/admin/loans/loan/{fee_loan.pk}/term/",
        f"/admin/loans/loan/{fee_loan.pk}/rate/",
        f"/admin/payments/payment/{payment.pk}/refund/",
        f"/admin/payments/payment/{payment.pk}/reverse/",
        f"/admin/loans/staffrequest/{request.pk}/approve/",
        f"/admin/loans/staffrequest/{request.pk}/reject/",
    ]
    for page in pages:
        data = {"amount": "5.00", "reason": REASON, "due_day": "10", "submit_token": form_token()}
        assert client.post(page, data).status_code == 403, page
    postings = LoanPosting.objects.filter(loan=fee_loan).values_list("kind", flat=True)
    assert list(postings) == ["payment"]
    assert StaffRequest.objects.get().status == "pending"
    assert not AuditEvent.objects.exclude(action="admin.view").exists()


@pytest.mark.django_db
def test_a_support_agent_cannot_approve_a_request(fee_loan, agent, supervisor):
    outcome = staff_action_submit(
        kind="waive_fee", loan_id=fee_loan.pk, amount=Decimal("125.00"), reason=REASON,
        actor=supervisor, on=TODAY,
    )  # fmt: skip
    response = staff_client(agent).post(f"/admin/loans/staffrequest/{outcome.request.pk}/approve/")
    assert response.status_code == 403
    assert StaffRequest.objects.get().status == "pending"
    assert not LoanPosting.objects.exists()


@pytest.mark.django_db
def test_a_waiver_above_the_threshold_is_a_request_that_shows_what_will_change(
    fee_loan, supervisor
):
    _waive(supervisor, fee_loan, "125.00")

    request = StaffRequest.objects.get()
    # Interest accrued to today (Nov 5 → Nov 24, 19 days on $21,335.10 at 6 %) is shown too.
    assert request.before == {
        "principal": "21335.10",
        "interest": "66.64",
        "fees": "125.00",
        "payoff": "21526.74",
    }
    assert request.after == {
        "principal": "21335.10",
        "interest": "66.64",
        "fees": "0.00",
        "payoff": "21401.74",
    }
    assert not LoanPosting.objects.exists()
    page = staff_client(supervisor).get(f"/admin/loans/staffrequest/{request.pk}/change/")
    html = page.content.decode()
    assert "$21,526.74" in html and "$21,401.74" in html
    assert "another supervisor must approve or reject it" in html
    assert "Approve and execute" not in html


@pytest.mark.django_db
def test_nobody_approves_their_own_request(fee_loan, supervisor):
    _waive(supervisor, fee_loan, "125.00")
    request = StaffRequest.objects.get()

    response = staff_client(supervisor).post(
        f"/admin/loans/staffrequest/{request.pk}/approve/", follow=True
    )

    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["You can't approve or reject your own request; another supervisor must."]
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("pending", None)
    assert not LoanPosting.objects.exists()
    assert not AuditEvent.objects.filter(action="staff_request.approve").exists()


@pytest.mark.django_db
def test_another_supervisor_approves_and_the_waiver_executes_once(
    fee_loan, supervisor, second_supervisor
):
    _waive(supervisor, fee_loan, "125.00")
    request = StaffRequest.objects.get()
    client = staff_client(second_supervisor)

    client.post(f"/admin/loans/staffrequest/{request.pk}/approve/", {"note": "ok"})
    again = client.post(f"/admin/loans/staffrequest/{request.pk}/approve/", follow=True)

    request.refresh_from_db()
    posting = LoanPosting.objects.get()
    assert (request.status, request.decided_by, request.posting) == (
        "executed",
        second_supervisor,
        posting,
    )
    assert (posting.kind, posting.fees, posting.idempotency_key) == (
        "fee_waiver",
        Decimal("125.00"),
        f"staff-request:{request.pk}",
    )
    assert _balances(fee_loan) == (Decimal("21335.10"), Decimal("0.00"), Decimal("0.00"))
    assert [str(m) for m in again.context["messages"]] == [
        "Approved and done.",  # the first approval's message, shown on this page
        "This request is already approved and done.",
    ]
    audit = AuditEvent.objects.get(action="staff_request.approve")
    assert (audit.actor, audit.reason, audit.details["posting"]) == (
        second_supervisor,
        "ok",
        posting.pk,
    )


@pytest.mark.django_db
def test_a_rejected_request_changes_nothing(fee_loan, supervisor, second_supervisor):
    _waive(supervisor, fee_loan, "125.00")
    request = StaffRequest.objects.get()
    staff_client(second_supervisor).post(
        f"/admin/loans/staffrequest/{request.pk}/reject/", {"note": "Fee was owed"}
    )
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decision_note) == (
        "rejected",
        second_supervisor,
        "Fee was owed",
    )
    assert not LoanPosting.objects.exists()
    assert AuditEvent.objects.get(action="staff_request.reject").actor == second_supervisor


@pytest.mark.django_db
def test_the_threshold_is_set_per_lender(supervisor):
    strict = LoanFactory(
        lender=LenderFactory(four_eyes_threshold=Decimal("50.00")), interest_accrued_through=TODAY
    )
    lenient = LoanFactory(
        lender=LenderFactory(four_eyes_threshold=Decimal("500.00")), interest_accrued_through=TODAY
    )

    for loan in (strict, lenient):
        staff_client(supervisor).post(
            f"/admin/loans/loan/{loan.pk}/credit/",
            {"amount": "200.00", "reason": REASON, "submit_token": form_token()},
        )

    pending = StaffRequest.objects.filter(status="pending")
    assert list(pending.values_list("loan", "kind", "amount")) == [
        (strict.pk, "credit", Decimal("200.00"))
    ]
    assert list(LoanPosting.objects.values_list("loan", "kind", "principal")) == [
        (lenient.pk, "adjustment", Decimal("200.00"))
    ]


@pytest.mark.django_db
def test_the_default_threshold_is_one_hundred_dollars():
    assert LenderFactory().four_eyes_threshold == Decimal("100.00")


@pytest.mark.django_db
def test_a_credit_reduces_fees_then_interest_then_principal(fee_loan, supervisor):
    posting = loan_credit_adjustment(
        loan_id=fee_loan.pk, amount=Decimal("200.00"), reason=REASON, actor=supervisor, on=TODAY
    )

    assert (posting.kind, posting.interest_accrued) == ("adjustment", Decimal("66.64"))
    assert (posting.fees, posting.interest, posting.principal) == (
        Decimal("125.00"),
        Decimal("66.64"),
        Decimal("8.36"),
    )
    assert posting.counts_toward_installments == Decimal("0.00")  # a credit is not a payment
    assert _balances(fee_loan) == (Decimal("21326.74"), Decimal("0.00"), Decimal("0.00"))
    assert fee_loan.paid_toward_installments == Decimal("4833.20")
    assert fee_loan.interest_accrued_through == TODAY


@pytest.mark.django_db
def test_a_credit_never_takes_a_balance_below_zero(fee_loan, supervisor):
    with pytest.raises(ServicingError, match=r"at most the payoff, \$21526.74"):
        loan_credit_adjustment(
            loan_id=fee_loan.pk, amount=Decimal("21526.75"), reason=REASON, actor=supervisor,
            on=TODAY,
        )  # fmt: skip
    assert not LoanPosting.objects.exists()
    assert _balances(fee_loan) == (Decimal("21335.10"), Decimal("0.00"), Decimal("125.00"))


@pytest.mark.django_db
def test_a_credit_is_idempotent_by_key(fee_loan, supervisor):
    kwargs = dict(
        loan_id=fee_loan.pk, amount=Decimal("20.00"), reason=REASON, actor=supervisor,
        on=TODAY, idempotency_key="credit-1",
    )  # fmt: skip
    first = loan_credit_adjustment(**kwargs)
    assert loan_credit_adjustment(**kwargs) == first
    assert LoanPosting.objects.count() == 1


def _card_payment(loan, borrower, add_card, amount="483.32"):
    payment = payment_submit(
        loan_id=loan.pk,
        method=add_card("4242424242424242"),
        amount=Decimal(amount),
        idempotency_key=new_idempotency_key(),
        payer=borrower,
        payer_email=borrower.email,
    )
    assert payment.status == Payment.Status.POSTED
    return payment


@pytest.mark.django_db
def test_a_supervisor_refunds_below_the_lenders_threshold_alone(
    linked_loan, borrower, add_card, supervisor
):
    linked_loan.lender.four_eyes_threshold = Decimal("500.00")
    linked_loan.lender.save()
    payment = _card_payment(linked_loan, borrower, add_card)

    response = staff_client(supervisor).post(
        f"/admin/payments/payment/{payment.pk}/refund/",
        {"reason": REASON, "submit_token": form_token()},
    )

    assert response["Location"] == f"/admin/payments/payment/{payment.pk}/change/"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    reversal = LoanPosting.objects.get(kind="reversal")
    assert (reversal.interest, reversal.principal) == (Decimal("-66.64"), Decimal("-416.68"))
    assert _balances(linked_loan) == (Decimal("21335.10"), Decimal("66.64"), Decimal("0.00"))
    audit = AuditEvent.objects.get(action="payment.refund")
    assert (audit.target_id, audit.details["amount"]) == (str(payment.pk), "483.32")


@pytest.mark.django_db
def test_a_reversal_above_the_threshold_waits_for_a_second_supervisor(
    linked_loan, borrower, add_card, supervisor, second_supervisor
):
    payment = _card_payment(linked_loan, borrower, add_card)  # $483.32 > $100.00
    page = staff_client(supervisor).get(f"/admin/payments/payment/{payment.pk}/reverse/")
    assert "$21,401.74" in page.content.decode()  # the payoff after the reversal

    staff_client(supervisor).post(
        f"/admin/payments/payment/{payment.pk}/reverse/",
        {"reason": REASON, "submit_token": form_token()},
    )
    request = StaffRequest.objects.get()
    payment.refresh_from_db()
    assert (request.kind, request.amount, payment.status) == (
        "reverse",
        Decimal("483.32"),
        "posted",
    )
    assert request.after["payoff"] == "21401.74"

    staff_request_approve(request_id=request.pk, actor=second_supervisor, on=TODAY)

    payment.refresh_from_db()
    request.refresh_from_db()
    assert payment.status == Payment.Status.REVERSED
    assert request.status == "executed"
    assert request.posting == LoanPosting.objects.get(kind="reversal")
    assert _balances(linked_loan) == (Decimal("21335.10"), Decimal("66.64"), Decimal("0.00"))


@pytest.mark.django_db
def test_an_approval_the_loan_no_longer_allows_leaves_the_request_waiting(
    fee_loan, supervisor, second_supervisor
):
    outcome = staff_action_submit(
        kind="waive_fee", loan_id=fee_loan.pk, amount=Decimal("125.00"), reason=REASON,
        actor=supervisor, on=TODAY,
    )  # fmt: skip
    loan_credit_adjustment(
        loan_id=fee_loan.pk, amount=Decimal("50.00"), reason=REASON, actor=supervisor, on=TODAY
    )
    with pytest.raises(StaffActionError, match=r"Only \$75.00 of fees are unpaid"):
        staff_request_approve(request_id=outcome.request.pk, actor=second_supervisor, on=TODAY)
    outcome.request.refresh_from_db()
    assert (outcome.request.status, outcome.request.decided_by) == ("pending", None)
    assert not LoanPosting.objects.filter(kind="fee_waiver").exists()


@pytest.mark.django_db(transaction=True)
def test_two_supervisors_approving_at_once_execute_it_once(fee_loan, supervisor):
    outcome = staff_action_submit(
        kind="waive_fee", loan_id=fee_loan.pk, amount=Decimal("125.00"), reason=REASON,
        actor=supervisor, on=TODAY,
    )  # fmt: skip
    approvers = [make_staff(SUPERVISOR), make_staff(SUPERVISOR)]
    barrier = threading.Barrier(2)
    results = []

    def approve(user):
        barrier.wait()
        try:
            results.append(
                staff_request_approve(request_id=outcome.request.pk, actor=user, on=TODAY)
            )
        except StaffActionError as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    refused = [r for r in results if isinstance(r, StaffActionError)]
    assert [str(r) for r in refused] in (
        ["This request is already approved, executing."],
        ["This request is already approved and done."],
    )
    assert LoanPosting.objects.filter(kind="fee_waiver").count() == 1
    assert StaffRequest.objects.get().status == "executed"
    assert _balances(fee_loan)[2] == Decimal("0.00")
