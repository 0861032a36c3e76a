# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""A debit sent again by recovery after its mandate lapsed (a plan suspended, a bankruptcy or
deceased flag set since the crash) ends as a fresh debit refused for the same reason does:
SKIPPED with the fresh path's reason, its payment CANCELLED by the charge gate, 0 charges, no
"didn't go through" email — on the set path and on the payment sweep alike."""

import pytest
from autopay_fixtures import enroll, inline_charges  # noqa: F401
from django.core import mail
from factories import UserFactory
from test_autopay_recover_guards import _charged, _crashed_before_the_processor
from test_autopay_recover_set import RUN_DAY, _finish, at

from loans.models_collections import AccountFlag
from payments.autopay.system_stops import autopay_suspend
from payments.models import Payment, PaymentEvent

FINISHERS = ["set_path", "one_by_one"]


def _ended(plan, payment) -> tuple:
    debit, payment = plan.debits.get(), Payment.objects.get(pk=payment.pk)
    refused = PaymentEvent.objects.filter(payment=payment, to_status="cancelled").get()
    autopay_mails = [m.subject for m in mail.outbox if "automatic payment" in m.subject]
    return (
        (debit.status, debit.reason, debit.payment_id == payment.pk),
        (payment.status, refused.detail["refused"], refused.actor_label),
        (_charged(payment), autopay_mails),
    )


@pytest.mark.parametrize("finisher", FINISHERS)
def test_a_resend_refused_for_a_bankruptcy_flag_skips_the_debit_with_the_flag_reason(
    finisher, linked_loan, add_card, enroll, monkeypatch, settings
):
    plan, payment = _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch)
    AccountFlag.objects.create(
        loan=linked_loan,
        kind="bankruptcy",
        start_date=RUN_DAY,
        reason="filed on the morning of the run",
        set_by=UserFactory(is_staff=True),
    )
    _finish(finisher, at(RUN_DAY, 6, 1), settings)
    assert _ended(plan, payment) == (
        ("skipped", "account flag: bankruptcy", True),
        ("cancelled", "autopay", "system:recovery"),
        (0, []),
    )


@pytest.mark.parametrize("finisher", FINISHERS)
def test_a_resend_refused_for_a_suspended_plan_skips_the_debit_as_a_fresh_one_is(
    finisher, linked_loan, add_card, enroll, monkeypatch, settings
):
    plan, payment = _crashed_before_the_processor(linked_loan, add_card, enroll, monkeypatch)
    autopay_suspend(plan_id=plan.pk, reason="R10: the customer says the debit was unauthorized")
    _finish(finisher, at(RUN_DAY, 6, 1), settings)
    assert _ended(plan, payment) == (
        ("skipped", "autopay is suspended until you authorize it again", True),
        ("cancelled", "autopay", "system:recovery"),
        (0, []),
    )
    plan.refresh_from_db()
    assert plan.status == "suspended"
