"""The status vocabulary is named once, on the models; pages and services ask it, never a copy."""

import pytest

from loans import services as loan_services
from loans.models import Loan
from payments import history, statuses
from payments.models import Payment
from payments.services.events import ALLOWED
from payments.services.gate import IN_FLIGHT

S = Payment.Status


def test_the_final_statuses_are_exactly_those_no_transition_leaves():
    assert set(Payment.FINAL_STATUSES) == {s for s, targets in ALLOWED.items() if s and not targets}


def test_receipt_applied_and_undone_statuses_are_one_vocabulary():
    assert Payment.APPLIED_STATUSES == (S.POSTED, S.PENDING, S.SETTLED)
    assert Payment.UNDONE_STATUSES == (S.RETURNED, S.REFUNDED, S.REVERSED)
    assert Payment.RECEIPT_STATUSES == Payment.APPLIED_STATUSES + Payment.UNDONE_STATUSES
    assert history.UNDONE_STATUSES is Payment.UNDONE_STATUSES
    assert history.STATUS_TONES is statuses.PAYMENT_TONES
    assert IN_FLIGHT is Payment.IN_FLIGHT_STATUSES


@pytest.mark.parametrize("status", list(S))
def test_the_history_row_and_the_detail_page_agree_on_which_payments_have_a_receipt(status):
    row = history.history_rows([Payment(status=status)])[0]
    expected = status in ("posted", "pending", "settled", "returned", "refunded", "reversed")
    assert row.has_receipt is statuses.payment_has_receipt(status) is expected


def test_the_loan_statuses_split_into_open_and_closed_with_staff_set_inside_closed():
    assert Loan.OPEN_STATUSES == ("current", "past_due")
    assert Loan.CLOSED_STATUSES == ("paid_off", "charged_off", "closed")
    assert set(Loan.OPEN_STATUSES) | set(Loan.CLOSED_STATUSES) == set(Loan.Status.values)
    assert loan_services.CLOSED_STATUSES is Loan.STAFF_SET_STATUSES
    assert Loan.STAFF_SET_STATUSES == ("charged_off", "closed")


def test_the_guest_pages_closed_loans_are_the_models_until_the_view_asks_the_model():
    from payments.views import guest

    assert tuple(guest.CLOSED_STATUSES) == Loan.CLOSED_STATUSES
