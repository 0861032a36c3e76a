"""New-user review of the staff console's four-eyes figures: a supervisor approved on balances
computed when the request was made, the returned-check preview left out the returned-payment
fee, and an ordinary monthly check needed a supervisor."""

from decimal import Decimal

import pytest
import time_machine
from staff_helpers import NOW, TODAY, make_staff, staff_client

from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans.four_eyes import snapshot
from loans.models import StaffRequest
from loans.selectors import loan_balances_on
from loans.staff_requests import staff_action_submit, staff_request_approve
from payments.services.received import payment_record_received

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def received(loan, amount, reference, channel="check"):
    return payment_record_received(
        loan_id=loan.pk,
        channel=channel,
        amount=Decimal(amount),
        effective_date=TODAY,
        reference=reference,
        actor=None,
    )


def now_on(loan):
    loan.refresh_from_db()
    return snapshot(loan_balances_on(loan, TODAY))


# --- 2. the returned-check preview adds the returned-payment fee ------------------------------


def test_the_returned_check_preview_adds_the_lenders_fee_as_the_return_assesses_it(linked_loan):
    payment = received(linked_loan, "483.32", "5001").payment
    outcome = staff_action_submit(
        kind=StaffRequest.Kind.RETURN_CHECK,
        loan_id=linked_loan.pk,
        payment_id=payment.pk,
        reason="Returned unpaid by the bank",
        actor=make_staff(SUPERVISOR),
        on=TODAY,
        params={"return_code": "NSF"},
    )
    request = outcome.request
    assert request.before == {
        "principal": "20918.42",
        "interest": "0.00",
        "fees": "0.00",
        "payoff": "20918.42",
    }
    assert request.after == {
        "principal": "21335.10",
        "interest": "66.64",
        "fees": "25.00",
        "payoff": "21426.74",
    }

    staff_request_approve(request_id=request.pk, actor=make_staff(SUPERVISOR), on=TODAY)

    assert now_on(linked_loan) == request.after


def test_no_fee_is_previewed_when_the_lender_charges_none(linked_loan):
    linked_loan.lender.nsf_fee = Decimal("0.00")
    linked_loan.lender.save(update_fields=["nsf_fee"])
    payment = received(linked_loan, "483.32", "5001").payment
    outcome = staff_action_submit(
        kind=StaffRequest.Kind.RETURN_CHECK,
        loan_id=linked_loan.pk,
        payment_id=payment.pk,
        reason="Returned unpaid by the bank",
        actor=make_staff(SUPERVISOR),
        on=TODAY,
        params={"return_code": "NSF"},
    )
    assert (outcome.request.after["fees"], outcome.request.after["payoff"]) == (
        "0.00",
        "21401.74",
    )


# --- 4. recording money received has its own threshold ---------------------------------------

RECORD_URL = "/admin/payments/payment/record/"


def check_form(loan, amount, reference, once):
    return {
        "loan_number": loan.loan_number,
        "channel": "check",
        "amount": amount,
        "effective_date": TODAY.isoformat(),
        "reference": reference,
        "reason": "Monthly check mailed to the office",
        "submit_token": once,
    }


def test_an_ordinary_monthly_check_is_recorded_by_the_agent_alone(linked_loan):
    assert linked_loan.lender.four_eyes_threshold == Decimal("100.00")
    agent = staff_client(make_staff(SUPPORT_AGENT))

    agent.post(RECORD_URL, check_form(linked_loan, "450.00", "6001", "m1"))

    done = StaffRequest.objects.get()
    assert (done.status, done.acted_alone, done.amount) == ("executed", True, Decimal("450.00"))


def test_a_check_above_the_received_threshold_is_a_request_naming_the_limit(linked_loan):
    lender = linked_loan.lender
    lender.name = "Lender X"
    lender.save(update_fields=["name"])
    assert lender.received_four_eyes_threshold == Decimal("2500.00")
    agent = staff_client(make_staff(SUPPORT_AGENT))

    response = agent.post(RECORD_URL, check_form(linked_loan, "2500.01", "6002", "m2"), follow=True)

    request = StaffRequest.objects.get()
    assert (request.status, request.acted_alone) == ("pending", False)
    assert [str(m) for m in response.context["messages"]] == [
        "Above Lender X's $2,500.00 limit for recording money alone: a supervisor approves it."
    ]


def test_the_received_threshold_counts_what_was_recorded_alone_today(linked_loan):
    agent = make_staff(SUPPORT_AGENT)
    submit = {
        "kind": StaffRequest.Kind.RECORD_RECEIVED,
        "loan_id": linked_loan.pk,
        "reason": "Checks mailed to the office",
        "actor": agent,
        "on": TODAY,
    }
    params = {"channel": "check", "effective_date": TODAY}
    first = staff_action_submit(
        amount=Decimal("2000.00"), params={**params, "reference": "7001"}, **submit
    )
    second = staff_action_submit(
        amount=Decimal("500.01"), params={**params, "reference": "7002"}, **submit
    )
    assert (first.request, first.done.acted_alone) == (None, True)
    assert second.request.status == "pending"


def test_what_one_agent_records_alone_counts_across_the_lenders_loans(linked_loan):
    """Attacker review, round 2: an agent who may only ask for a $1 credit recorded a $2,500
    "check" alone on each of several loans a day. The received threshold is a daily allowance
    per person across the lender's loans: $2,000.00 on one loan, then $500.01 on another is a
    request; another agent still records alone on that second loan."""
    from factories import LoanFactory

    other = LoanFactory(lender=linked_loan.lender, interest_accrued_through=TODAY)
    agent, colleague = make_staff(SUPPORT_AGENT), make_staff(SUPPORT_AGENT)
    params = {"channel": "check", "effective_date": TODAY}

    def record(actor, loan, amount, reference):
        return staff_action_submit(
            kind=StaffRequest.Kind.RECORD_RECEIVED,
            loan_id=loan.pk,
            amount=Decimal(amount),
            reason="Checks mailed to the office",
            actor=actor,
            on=TODAY,
            params={**params, "reference": reference},
        )

    first = record(agent, linked_loan, "2000.00", "8001")
    second = record(agent, other, "500.01", "8002")
    colleagues = record(colleague, other, "500.01", "8003")

    assert (first.request, second.request.status, colleagues.request) == (None, "pending", None)


def test_a_waiver_keeps_the_lenders_four_eyes_threshold(linked_loan):
    from loans.fees import loan_assess_nsf_fee

    loan_assess_nsf_fee(loan_id=linked_loan.pk, external_ref="payment:x", on=TODAY)
    outcome = staff_action_submit(
        kind=StaffRequest.Kind.CREDIT,
        loan_id=linked_loan.pk,
        amount=Decimal("100.01"),
        reason="Goodwill after a servicing error",
        actor=make_staff(SUPERVISOR),
        on=TODAY,
    )
    assert outcome.request.status == "pending"


# --- 1. the supervisor sees the figures as the loan stands now -------------------------------

CHANGED = "The loan changed since this was requested"


def a_wire_request(loan, agent):
    loan.lender.received_four_eyes_threshold = Decimal("1000.00")
    loan.lender.save(update_fields=["received_four_eyes_threshold"])
    return staff_action_submit(
        kind=StaffRequest.Kind.RECORD_RECEIVED,
        loan_id=loan.pk,
        amount=Decimal("1500.00"),
        reason="Wire from the borrower's bank",
        actor=agent,
        on=TODAY,
        params={"channel": "wire", "reference": "FED1500", "effective_date": TODAY},
    ).request


def table(page: str, heading: str) -> str:
    """The text of the balances table under `heading` on the request page."""
    start = page.index(f"<h3>{heading}</h3>")
    return page[start : page.index("</table>", start)]


def test_the_request_page_shows_the_figures_recomputed_now_beside_those_requested(linked_loan):
    agent = make_staff(SUPPORT_AGENT)
    request = a_wire_request(linked_loan, agent)
    assert (request.before["payoff"], request.after["payoff"]) == ("21401.74", "19901.74")
    url = f"/admin/loans/staffrequest/{request.pk}/change/"
    supervisor = staff_client(make_staff(SUPERVISOR))
    assert CHANGED not in supervisor.get(url).content.decode()

    received(linked_loan, "60.00", "MG-60", channel="moneygram")  # posts meanwhile

    page = supervisor.get(url).content.decode()
    assert CHANGED in page
    requested, now = table(page, "When requested"), table(page, "Now")
    assert "$21,401.74" in requested and "$19,901.74" in requested
    for dollars in ("$21,335.10", "$6.64", "$21,341.74", "$19,841.74"):
        assert dollars in now
    assert "$21,401.74" not in now


def test_an_executed_request_keeps_the_balances_as_they_actually_were(linked_loan):
    request = a_wire_request(linked_loan, make_staff(SUPPORT_AGENT))
    received(linked_loan, "60.00", "MG-60", channel="moneygram")

    staff_request_approve(request_id=request.pk, actor=make_staff(SUPERVISOR), on=TODAY)

    request.refresh_from_db()
    assert request.status == "executed"
    assert request.executed_before == {
        "principal": "21335.10",
        "interest": "6.64",
        "fees": "0.00",
        "payoff": "21341.74",
    }
    assert request.executed_after == {
        "principal": "19841.74",
        "interest": "0.00",
        "fees": "0.00",
        "payoff": "19841.74",
        "suspense": "0.00",
    }
    assert now_on(linked_loan) == {
        k: v for k, v in request.executed_after.items() if k != "suspense"
    }
    page = staff_client(make_staff(SUPERVISOR)).get(
        f"/admin/loans/staffrequest/{request.pk}/change/"
    )
    done = table(page.content.decode(), "As done")
    assert "$19,841.74" in done and "$19,901.74" not in done
    assert CHANGED in page.content.decode()


def test_a_request_the_loan_no_longer_allows_says_so_on_its_page(linked_loan):
    from loans.fees import loan_assess_nsf_fee

    loan_assess_nsf_fee(loan_id=linked_loan.pk, external_ref="payment:x", on=TODAY)
    request = staff_action_submit(
        kind=StaffRequest.Kind.WAIVE_FEE,
        loan_id=linked_loan.pk,
        amount=Decimal("25.00"),
        reason="Goodwill after a servicing error",
        actor=make_staff(SUPPORT_AGENT),
        on=TODAY,
    ).request
    received(linked_loan, "25.00", "5009")  # pays the fee meanwhile

    page = staff_client(make_staff(SUPERVISOR)).get(
        f"/admin/loans/staffrequest/{request.pk}/change/"
    )
    text = page.content.decode()
    assert CHANGED in text
    assert "As the loan stands now: Only $0.00 of fees are unpaid." in text
