"""The status vocabulary is named once, on the models; pages and services ask it, never a copy."""

from decimal import Decimal

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


def test_the_guest_page_asks_the_model_which_loans_are_closed():
    from payments.views import guest

    assert not hasattr(guest, "CLOSED_STATUSES")


@pytest.mark.parametrize(
    "status, tone",
    [
        ("active", "success"),
        ("paused", "warning"),
        ("suspended", "warning"),
        ("cancelled", "neutral"),
        ("ended", "neutral"),
    ],
)
def test_the_autopay_badge_tone_is_the_plan_presenters(status, tone):
    assert statuses.plan_status_tone(status) == tone


def test_the_autopay_page_maps_no_badge_tone_itself():
    from django.conf import settings

    page = (settings.BASE_DIR / "templates/payments/autopay/manage.html").read_text()
    assert 'tone="' not in page
    assert "tone=status_tone" in page


@pytest.mark.parametrize(
    "status, channel, offered",
    [
        ("held", "portal", ["review"]),
        ("scheduled", "portal", []),
        ("submitting", "portal", []),
        ("unknown", "portal", []),
        ("pending", "portal", ["reverse"]),
        ("posted", "portal", ["move", "refund", "reverse"]),
        ("settled", "portal", ["move", "refund", "reverse"]),
        ("posted", "check", ["move", "refund", "return_check", "reverse"]),
        # transition() refuses SETTLED -> RETURNED: the page no longer offers it.
        ("settled", "lockbox", ["move", "refund", "reverse"]),
        ("refunding", "portal", []),
        ("returned", "check", []),
        ("reversed", "portal", []),
        ("cancelled", "portal", []),
    ],
)
def test_the_payment_admin_offers_the_actions_the_transition_table_allows(status, channel, offered):
    actions = statuses.payment_staff_actions(Payment(status=status, channel=channel))
    assert sorted(name for name, on in actions.items() if on) == offered


def test_the_payment_change_form_tests_no_status_itself():
    from django.conf import settings

    page = (settings.BASE_DIR / "templates/admin/payments/payment/change_form.html").read_text()
    assert "original.status" not in page and "original.channel" not in page


@pytest.mark.django_db
def test_a_supervisor_sees_the_posted_checks_actions_on_its_admin_page(client, linked_loan):
    import time_machine
    from staff_money_helpers import TODAY, TUESDAY, make_staff, staff_client

    from accounts.roles import SUPERVISOR
    from payments.services.received import payment_record_received

    with time_machine.travel(TUESDAY, tick=False):
        payment = payment_record_received(
            loan_id=linked_loan.pk,
            channel="check",
            amount=Decimal("483.32"),
            effective_date=TODAY,
            reference="1234",
            actor=None,
            reason="Mailed to the lockbox",
        ).payment
        staff_client(client, make_staff(SUPERVISOR))
        page = client.get(f"/admin/payments/payment/{payment.pk}/change/").content.decode()
    assert f"/admin/payments/payment/{payment.pk}/return-check/" in page
    assert f"/admin/payments/payment/{payment.pk}/reverse/" in page
    assert f"/admin/payments/payment/{payment.pk}/approve/" not in page
