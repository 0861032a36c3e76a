"""Attacker review, finding 3: a form's one-time token was not tied to what it was issued
for. Pressing back and recording a second check (another loan, amount, number) with the same
form said "Recorded <the first payment>" and never recorded it; another supervisor's reuse
of the token got the first outcome with nothing done. A replay now counts only when the same
person resubmits the same action; anything else is refused, nothing written. A form without a
token is refused too (an empty one disabled the double-submit protection)."""

from decimal import Decimal

import pytest
import time_machine
from factories import LoanFactory
from staff_helpers import NOW, TODAY, form_token, make_staff, staff_client

from accounts.models import AuditEvent
from accounts.roles import SUPERVISOR, SUPPORT_AGENT
from loans.models import LoanPosting, StaffRequest
from loans.staff_requests import FORM_ALREADY_USED, FormAlreadyUsed, staff_action_submit
from payments.models import Payment

pytestmark = pytest.mark.django_db
REASON = "Customer goodwill after a servicing error"
RECORD_URL = "/admin/payments/payment/record/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def other_loan(loan):
    return LoanFactory(
        lender=loan.lender, principal_balance=Decimal("10000.00"), interest_accrued_through=TODAY
    )


def test_the_back_button_with_another_check_is_refused_at_the_form_top_not_hidden(linked_loan):
    other = other_loan(linked_loan)
    client = staff_client(make_staff(SUPPORT_AGENT))
    token = client.get(RECORD_URL).context["form"].initial["submit_token"]
    form = {
        "loan_number": linked_loan.loan_number,
        "channel": "check",
        "amount": "50.00",
        "effective_date": TODAY.isoformat(),
        "reference": "1001",
        "reason": "",
        "submit_token": token,
    }
    client.post(RECORD_URL, form)

    second = client.post(
        RECORD_URL,
        {**form, "loan_number": other.loan_number, "reference": "2002", "amount": "75.00"},
    )

    assert second.status_code == 200
    assert second.context["form"].non_field_errors() == [FORM_ALREADY_USED]
    assert FORM_ALREADY_USED in second.content.decode()
    assert list(Payment.objects.values_list("loan_id", "amount")) == [
        (linked_loan.pk, Decimal("50.00"))
    ]
    again = client.post(RECORD_URL, form)  # the same form again: the first outcome
    assert again.status_code == 302 and Payment.objects.count() == 1


def test_another_supervisors_token_is_refused_nothing_done_nothing_replayed(linked_loan):
    a, b = make_staff(SUPERVISOR), make_staff(SUPERVISOR)
    other = other_loan(linked_loan)
    staff_action_submit(
        kind="credit", loan_id=linked_loan.pk, amount=Decimal("50.00"), reason=REASON,
        actor=a, on=TODAY, token="T",
    )  # fmt: skip
    audits = AuditEvent.objects.count()

    with pytest.raises(FormAlreadyUsed, match="already submitted for something else"):
        staff_action_submit(
            kind="credit", loan_id=other.pk, amount=Decimal("70.00"), reason=REASON,
            actor=b, on=TODAY, token="T",
        )  # fmt: skip
    with pytest.raises(FormAlreadyUsed):  # the same person, another amount
        staff_action_submit(
            kind="credit", loan_id=linked_loan.pk, amount=Decimal("51.00"), reason=REASON,
            actor=a, on=TODAY, token="T",
        )  # fmt: skip

    assert not LoanPosting.objects.filter(loan=other, kind="adjustment").exists()
    assert StaffRequest.objects.count() == 1 and AuditEvent.objects.count() == audits


def test_a_money_form_without_its_token_is_refused(linked_loan):
    client = staff_client(make_staff(SUPERVISOR))
    url = f"/admin/loans/loan/{linked_loan.pk}/credit/"

    for token in ("", None):
        form = {"amount": "40.00", "reason": REASON}
        response = client.post(url, form if token is None else {**form, "submit_token": token})
        assert response.status_code == 200
        assert "open the page again" in response.content.decode()

    assert not LoanPosting.objects.filter(loan=linked_loan, kind="adjustment").exists()
    ok = client.post(url, {"amount": "40.00", "reason": REASON, "submit_token": form_token()})
    assert ok.status_code == 302
