"""Issue 9: the charge gate — every path that sends money to the processor re-checks, under the
loan's lock right before the call, that the loan is open, the amount fits (minus money in
flight), the method is usable and the payer's, and the payer may pay. Target 11a/11b."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone
from shared_helpers import sign_in_recently

from loans.models import Loan, LoanPosting
from loans.services import loan_post_payment
from payments.errors import AmountNotAllowed, PaymentError
from payments.models import Payment, SandboxCharge, SandboxRefund
from payments.services import (
    new_idempotency_key,
    payment_review_approve,
    payment_submit,
    submit_scheduled_payments,
)

NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York, a Tuesday
TODAY = dt.date(2026, 11, 24)
LATER = dt.date(2026, 11, 30)
PAYOFF = Decimal("21401.74")  # linked_loan: 21,335.10 + 19 days at 6 % (66.64)
S = Payment.Status


def _submit(loan, method, amount, payer, **extra):
    return payment_submit(
        loan_id=loan.pk,
        method=method,
        amount=Decimal(amount),
        idempotency_key=new_idempotency_key(),
        payer=payer,
        payer_email=payer.email,
        confirm_duplicate=True,
        now=timezone.now(),
        **extra,
    )


def _charged_cents() -> int:
    return sum(
        c.amount_cents - c.refunded_cents for c in SandboxCharge.objects.exclude(status="failed")
    )


@pytest.fixture
def add_card(add_card):
    """Cards on file for a month: a brand-new card paying a lot is held for review (risk.py),
    which is not what these tests are about."""

    def _add(*args, **kwargs):
        card = add_card(*args, **kwargs)
        type(card).objects.filter(pk=card.pk).update(created_at=NOW - dt.timedelta(days=30))
        card.refresh_from_db()
        return card

    return _add


def _money_lands_during_the_charge(monkeypatch, loan, amount, key):
    """Between the gate and the processor's answer, `amount` reaches the loan by another
    channel (a wire posted straight to the ledger)."""
    from payments.gateways.sandbox import SandboxGateway

    real_charge = SandboxGateway.charge

    def charge_while_money_lands(self, request):
        loan_post_payment(loan_id=loan.pk, amount=amount, effective_date=TODAY, idempotency_key=key)
        return real_charge(self, request)

    monkeypatch.setattr(SandboxGateway, "charge", charge_while_money_lands)


@pytest.fixture
def latency(settings):
    settings.PAYMENT_SANDBOX_LATENCY_MS = 1500


@pytest.mark.django_db(transaction=True)
def test_two_confirms_whose_sum_exceeds_the_payoff_charge_at_most_the_payoff(
    borrower, linked_loan, add_card, latency
):
    """Finding 1: tab A pays the payoff, tab B payoff − $10, confirmed at the same moment with
    the processor taking 1.5 s → one charge; the other is refused before the processor."""
    card = add_card("4242424242424242")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def confirm(tab, amount, is_payoff):
        barrier.wait()
        try:
            outcomes[tab] = _submit(linked_loan, card, amount, borrower, is_payoff=is_payoff)
        except PaymentError as exc:
            outcomes[tab] = exc
        finally:
            connection.close()

    with time_machine.travel(NOW, tick=True):
        threads = [
            threading.Thread(target=confirm, args=("A", PAYOFF, True)),
            threading.Thread(target=confirm, args=("B", PAYOFF - 10, False)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert SandboxCharge.objects.count() == 1
    assert _charged_cents() <= int(PAYOFF * 100)
    refused = [o for o in outcomes.values() if isinstance(o, AmountNotAllowed)]
    assert len(refused) == 1
    assert "already on its way to this loan" in str(refused[0])
    posted = Payment.objects.get(status=S.POSTED)
    assert posted.unapplied_amount == Decimal("0.00")
    assert Payment.objects.count() == 1  # the refused tab left no row


@pytest.mark.django_db
def test_a_payment_whose_outcome_is_unknown_counts_as_money_in_flight(
    borrower, linked_loan, add_card, monkeypatch
):
    from payments.gateways.base import OutcomeUnknown
    from payments.gateways.sandbox import SandboxGateway

    card = add_card("4242424242424242")

    def no_answer(self, request):
        raise OutcomeUnknown("timed out")

    with time_machine.travel(NOW, tick=False):
        monkeypatch.setattr(SandboxGateway, "charge", no_answer)
        first = _submit(linked_loan, card, "20000.00", borrower)
        monkeypatch.undo()
        assert first.status == S.UNKNOWN
        with pytest.raises(AmountNotAllowed) as refused:
            _submit(linked_loan, card, "2000.00", borrower)
    assert str(refused.value) == (
        "A payment of $20,000.00 is already on its way to this loan, so the most it can take "
        "now is $1,401.74."
    )
    assert SandboxCharge.objects.count() == 0


@pytest.mark.django_db
def test_a_scheduled_payment_is_cancelled_not_charged_when_the_loan_was_paid_off_meanwhile(
    borrower, linked_loan, add_card, django_capture_on_commit_callbacks
):
    """Finding 2: the loan was paid off (here outside the portal, by the lender's ledger)
    before the scheduled day → the nightly run cancels it with the reason; nothing charged."""
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        scheduled = _submit(
            linked_loan, card, "483.32", borrower, scheduled_for=TODAY.replace(day=30)
        )
        assert scheduled.status == S.SCHEDULED
        loan_post_payment(
            loan_id=linked_loan.pk,
            amount=PAYOFF,
            effective_date=TODAY,
            idempotency_key="lockbox:1",
        )
    assert Loan.objects.get(pk=linked_loan.pk).status == Loan.Status.PAID_OFF
    mail.outbox.clear()
    with (
        time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        counts = submit_scheduled_payments(on=dt.date(2026, 11, 30))
    scheduled.refresh_from_db()
    assert scheduled.status == S.CANCELLED
    assert scheduled.status_reason == "This loan is paid off, so nothing was charged."
    assert SandboxCharge.objects.count() == 0
    assert (counts["due"], counts["charged"], counts["cancelled"]) == (1, 0, 1)
    assert [m.subject for m in mail.outbox] == ["Your payment of $483.32 was cancelled"]
    assert scheduled.events.last().detail["refused"] == "loan_closed"


@pytest.mark.django_db
def test_a_scheduled_payment_from_a_card_removed_since_is_cancelled_not_charged(
    borrower, linked_loan, add_card
):
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False):
        scheduled = _submit(
            linked_loan, card, "483.32", borrower, scheduled_for=TODAY.replace(day=30)
        )
        card.removed_at = timezone.now()  # as an old removal, or a removal racing the run
        card.save(update_fields=["removed_at"])
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), tick=False):
        submit_scheduled_payments(on=dt.date(2026, 11, 30))
    scheduled.refresh_from_db()
    assert scheduled.status == S.CANCELLED
    assert scheduled.status_reason == "Visa •••• 4242 can no longer be used. Choose another method."
    assert SandboxCharge.objects.count() == 0


@pytest.mark.django_db
def test_a_scheduled_payment_by_a_payer_whose_access_was_revoked_is_cancelled(
    linked_loan, add_card
):
    from factories import LoanLinkFactory, UserFactory

    helper = UserFactory()
    link = LoanLinkFactory(user=helper, loan=linked_loan, role="payer")
    card = add_card("4242424242424242", owner=helper)
    with time_machine.travel(NOW, tick=False):
        scheduled = _submit(
            linked_loan, card, "100.00", helper, scheduled_for=TODAY.replace(day=30)
        )
    link.delete()  # the borrower revoked the invitation
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), tick=False):
        submit_scheduled_payments(on=dt.date(2026, 11, 30))
    scheduled.refresh_from_db()
    assert scheduled.status == S.CANCELLED
    assert scheduled.status_reason == "You no longer have permission to pay this loan."
    assert SandboxCharge.objects.count() == 0


@pytest.mark.django_db
def test_approving_a_held_payment_after_the_loan_was_paid_off_charges_nothing(
    borrower, linked_loan, add_card, admin_user
):
    """Finding 3."""
    card = add_card("4242424242424242")
    type(card).objects.filter(pk=card.pk).update(created_at=NOW)  # brand new: held
    card.refresh_from_db()
    with time_machine.travel(NOW, tick=False):
        # A card added just now paying more than 3 installments is held for review.
        held = _submit(linked_loan, card, "5000.00", borrower)
        assert held.status == S.HELD
        loan_post_payment(
            loan_id=linked_loan.pk, amount=PAYOFF, effective_date=TODAY, idempotency_key="wire:1"
        )
        approved = payment_review_approve(payment_id=held.pk, actor=admin_user)
    assert approved.status == S.CANCELLED
    assert approved.status_reason == "This loan is paid off, so nothing was charged."
    assert SandboxCharge.objects.count() == 0
    assert LoanPosting.objects.filter(kind="payment").count() == 1  # only the wire


@pytest.mark.django_db
def test_paying_off_cancels_the_loans_scheduled_and_held_payments_and_ends_autopay(
    borrower, linked_loan, add_card, django_capture_on_commit_callbacks
):
    from payments.models import AutopayPlan

    card = add_card("4242424242424242")
    other = add_card("5555555555554444")
    with time_machine.travel(NOW, tick=False):
        scheduled = _submit(
            linked_loan, other, "483.32", borrower, scheduled_for=TODAY.replace(day=30)
        )
        plan = AutopayPlan.objects.create(
            loan=linked_loan,
            owner=borrower,
            method=card,
            amount_rule="due",
            schedule="monthly_due",
            start_date=dt.date(2026, 12, 5),
            charge_from=dt.date(2026, 12, 5),
            status="active",
        )
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            paid = _submit(linked_loan, card, PAYOFF, borrower, is_payoff=True)
    assert paid.status == S.POSTED
    scheduled.refresh_from_db()
    plan.refresh_from_db()
    assert scheduled.status == S.CANCELLED
    assert scheduled.status_reason == (
        "Your loan is paid off, so this payment was cancelled. Nothing was charged."
    )
    assert plan.status == "ended"
    subjects = sorted(m.subject for m in mail.outbox)
    assert "Your payment of $483.32 was cancelled" in subjects
    assert "Your autopay has ended" in subjects


@pytest.mark.django_db
def test_money_the_loan_can_no_longer_take_is_refunded_at_once_not_left_posted(
    borrower, linked_loan, add_card, monkeypatch
):
    """Target 11b: between the gate and the processor's answer the loan is paid down by
    another channel; the part that no longer fits is refunded under its own key."""
    card = add_card("4242424242424242")
    _money_lands_during_the_charge(monkeypatch, linked_loan, PAYOFF - Decimal("300.00"), "wire:2")
    with time_machine.travel(NOW, tick=False):
        payment = _submit(linked_loan, card, "483.32", borrower)
    payment.refresh_from_db()
    assert payment.status == S.POSTED
    assert payment.applied_amount == Decimal("300.00")
    assert payment.unapplied_amount == Decimal("183.32")
    assert payment.unapplied_refunded_at is not None
    refund = SandboxRefund.objects.get()
    assert (refund.idempotency_key, refund.amount_cents) == (
        f"refund:unapplied:{payment.idempotency_key}",
        18332,
    )
    posting = LoanPosting.objects.get(external_ref=f"payment:{payment.pk}")
    assert posting.fees + posting.interest + posting.principal == Decimal("300.00")
    assert Loan.objects.get(pk=linked_loan.pk).status == Loan.Status.PAID_OFF


@pytest.mark.django_db
def test_a_charge_the_loan_can_take_none_of_is_refunded_in_full_with_its_fee(
    borrower, linked_loan, add_card, monkeypatch, client
):
    linked_loan.lender.card_convenience_fee = Decimal("2.50")
    linked_loan.lender.save()
    card = add_card("4242424242424242")
    _money_lands_during_the_charge(monkeypatch, linked_loan, PAYOFF, "w:3")  # paid off meanwhile
    with time_machine.travel(NOW, tick=False):
        payment = _submit(linked_loan, card, "483.32", borrower)
    payment.refresh_from_db()
    assert payment.status == S.REFUNDED
    assert payment.loan_posting_id is None
    assert SandboxRefund.objects.get().amount_cents == 48582  # 483.32 + the 2.50 fee
    assert not LoanPosting.objects.filter(external_ref=f"payment:{payment.pk}").exists()
    client.force_login(borrower)
    page = client.get(f"/payments/p/{payment.reference}/").content.decode()
    assert "Your payment was refunded" in page
    assert "Thank you — payment received" not in page
    assert "Applied to your loan" in page and "$0.00" in page


@pytest.mark.django_db
def test_principal_only_is_refused_while_the_loan_is_past_due(borrower, add_card):
    """Finding 11: 25 days past due, a $25 late fee owed."""
    from factories import LoanFactory, LoanLinkFactory

    loan = LoanFactory(
        principal_balance=Decimal("21335.10"),
        interest_accrued_through=dt.date(2026, 10, 5),
        paid_toward_installments=Decimal("4349.88"),  # 9 of the 10 installments due by Oct 31
        unpaid_fees=Decimal("25.00"),
        first_due_date=dt.date(2026, 2, 5),
    )
    LoanLinkFactory(user=borrower, loan=loan)
    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=False), pytest.raises(AmountNotAllowed) as refused:
        _submit(loan, card, "1000.00", borrower, principal_only=True)
    assert str(refused.value) == (
        "Principal-only payments are for loans that are up to date. First pay the $483.32 "
        "that is past due and $25.00 of fees; then extra payments can go to principal."
    )
    assert Payment.objects.count() == 0
    assert SandboxCharge.objects.count() == 0


@pytest.mark.django_db
def test_the_pay_page_offers_principal_only_only_while_the_loan_is_current(
    borrower, borrower_client, linked_loan, add_card
):
    from factories import LoanFactory, LoanLinkFactory

    add_card("4242424242424242")
    behind = LoanFactory(
        principal_balance=Decimal("21335.10"),
        interest_accrued_through=dt.date(2026, 10, 5),
        paid_toward_installments=Decimal("4349.88"),
        unpaid_fees=Decimal("25.00"),
    )
    LoanLinkFactory(user=borrower, loan=behind)
    with time_machine.travel(NOW, tick=False):
        current_page = borrower_client.get(f"/payments/pay/{linked_loan.pk}/").content.decode()
        behind_page = borrower_client.get(f"/payments/pay/{behind.pk}/").content.decode()
    assert 'name="principal_only"' in current_page
    assert 'name="principal_only"' not in behind_page
    assert "First pay the $483.32 that is past due and $25.00 of fees" in behind_page


@pytest.mark.django_db
def test_a_principal_only_post_on_a_past_due_loan_is_refused_not_silently_applied(
    borrower, borrower_client, add_card
):
    """The option is hidden while the loan is behind; a hand-made POST asking for it is
    refused next to the field, not turned into a regular payment."""
    from factories import LoanFactory, LoanLinkFactory

    card = add_card("4242424242424242")
    behind = LoanFactory(
        principal_balance=Decimal("21335.10"),
        interest_accrued_through=dt.date(2026, 10, 5),
        paid_toward_installments=Decimal("4349.88"),
        unpaid_fees=Decimal("25.00"),
    )
    LoanLinkFactory(user=borrower, loan=behind)
    data = {
        "amount_choice": "other",
        "other_amount": "100.00",
        "principal_only": "on",
        "method": str(card.pk),
        "pay_on": "2026-11-24",
    }
    with time_machine.travel(NOW, tick=False):
        response = borrower_client.post(f"/payments/pay/{behind.pk}/", data)
    assert response.status_code == 200  # the form again, with the reason; no review step
    assert "First pay the $483.32 that is past due and $25.00 of fees" in response.content.decode()
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_removing_a_card_lists_and_cancels_the_payments_still_to_come_from_it(
    borrower, linked_loan, add_card, django_capture_on_commit_callbacks
):
    from django.test import Client

    from payments.models import PaymentMethod

    card = add_card("4242424242424242")
    with time_machine.travel(NOW, tick=True):
        scheduled = _submit(linked_loan, card, "483.32", borrower, scheduled_for=LATER)
        client = Client()
        sign_in_recently(client, borrower, at=NOW.timestamp())
        page = client.get(f"/payments/methods/{card.pk}/remove/").content.decode()
        assert "$483.32 on Nov 30" in page and "will be cancelled when you remove it" in page
        scheduled.refresh_from_db()
        assert scheduled.status == S.SCHEDULED  # showing the page changes nothing
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/payments/methods/{card.pk}/remove/")
    assert response.status_code == 302
    scheduled.refresh_from_db()
    assert scheduled.status == S.CANCELLED
    assert scheduled.status_reason == (
        "Visa •••• 4242 was removed, so this payment was cancelled. Nothing was charged."
    )
    assert PaymentMethod.objects.get(pk=card.pk).removed_at is not None
    assert [m.subject for m in mail.outbox] == ["Your payment of $483.32 was cancelled"]


@pytest.mark.django_db
def test_a_bank_debits_unapplied_part_is_refunded_once_it_settles_not_while_pending(
    borrower, linked_loan, add_bank, monkeypatch
):
    from payments.services import settle_payments

    account = add_bank("000123456789")
    type(account).objects.filter(pk=account.pk).update(created_at=NOW - dt.timedelta(days=30))
    account.refresh_from_db()
    _money_lands_during_the_charge(monkeypatch, linked_loan, PAYOFF - Decimal("300.00"), "wire:4")
    with time_machine.travel(NOW, tick=False):
        payment = _submit(linked_loan, account, "483.32", borrower)
    payment.refresh_from_db()
    assert (payment.status, payment.unapplied_amount) == (S.PENDING, Decimal("183.32"))
    assert payment.unapplied_refunded_at is None
    assert SandboxRefund.objects.count() == 0  # an ACH debit is refunded after it settles
    with time_machine.travel(dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC), tick=False):
        settle_payments(on=dt.date(2026, 11, 27))
    payment.refresh_from_db()
    assert payment.status == S.SETTLED
    assert payment.unapplied_refunded_at is not None
    assert SandboxRefund.objects.get().amount_cents == 18332
