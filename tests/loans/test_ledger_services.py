"""The servicing ledger: every balance change is one service call and one append-only posting."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from factories import LenderFactory, LoanFactory, LoanLinkFactory, UserFactory

from ismartpay.core.errors import NotFound
from loans.allocation import AllocationError
from loans.fees import loan_assess_nsf_fee, loan_waive_fee
from loans.history import loans_refill_last_payment
from loans.models import Lender, Loan, LoanLink, LoanPosting
from loans.selectors import dashboard_for_user, interest_paid, loan_balances_on, loan_get_for_user
from loans.services import (
    IdempotencyConflict,
    LoanPostingError,
    loan_assess_late_fee,
    loan_assess_late_fees,
    loan_post_payment,
    loan_reverse_posting,
)

pytestmark = pytest.mark.django_db

FEB_5 = dt.date(2026, 2, 5)
MAR_5 = dt.date(2026, 3, 5)
MAR_5_NOON = dt.datetime(2026, 3, 5, 17, 0, tzinfo=dt.UTC)  # noon in New York


def _balances(loan_id):
    loan = Loan.objects.get(pk=loan_id)
    return (
        loan.principal_balance,
        loan.accrued_interest,
        loan.unpaid_fees,
        loan.paid_toward_installments,
        loan.status,
    )


def test_payment_accrues_interest_then_pays_fees_interest_principal_in_one_posting():
    # $25,000 at 6 %: 31 days from Jan 5 to Feb 5 accrue 25000 x 6 x 31 / 36500 = 127.397 → 127.40
    loan = LoanFactory(unpaid_fees=Decimal("25.00"))
    posting = loan_post_payment(
        loan_id=loan.pk, amount=Decimal("508.32"), effective_date=FEB_5, idempotency_key="k1"
    )
    assert (posting.fees, posting.interest, posting.principal) == (
        Decimal("25.00"),
        Decimal("127.40"),
        Decimal("355.92"),
    )
    assert posting.interest_accrued == Decimal("127.40")
    assert posting.counts_toward_installments == Decimal("483.32")  # the fee does not count
    loan.refresh_from_db()
    assert loan.principal_balance == Decimal("24644.08")
    assert loan.accrued_interest == Decimal("0.00")
    assert loan.unpaid_fees == Decimal("0.00")
    assert loan.interest_accrued_through == FEB_5
    assert loan.paid_toward_installments == Decimal("483.32")
    assert posting.principal_balance_after == Decimal("24644.08")
    assert LoanPosting.objects.count() == 1


def test_same_idempotency_key_twice_makes_one_posting():
    loan = LoanFactory()
    first = loan_post_payment(
        loan_id=loan.pk, amount=Decimal("483.32"), effective_date=FEB_5, idempotency_key="pay-1"
    )
    second = loan_post_payment(
        loan_id=loan.pk, amount=Decimal("483.32"), effective_date=FEB_5, idempotency_key="pay-1"
    )
    assert second.pk == first.pk
    assert LoanPosting.objects.count() == 1
    assert _balances(loan.pk)[0] == Decimal("24644.08")


def test_same_external_ref_twice_makes_one_posting():
    loan = LoanFactory()
    kwargs = {"loan_id": loan.pk, "amount": Decimal("100.00"), "effective_date": FEB_5}
    first = loan_post_payment(**kwargs, idempotency_key=None, external_ref="payment:9")
    second = loan_post_payment(**kwargs, idempotency_key=None, external_ref="payment:9")
    assert second.pk == first.pk
    assert LoanPosting.objects.count() == 1


def test_idempotency_key_reused_for_another_amount_is_refused():
    loan = LoanFactory()
    loan_post_payment(
        loan_id=loan.pk, amount=Decimal("100.00"), effective_date=FEB_5, idempotency_key="k"
    )
    with pytest.raises(IdempotencyConflict):
        loan_post_payment(
            loan_id=loan.pk, amount=Decimal("200.00"), effective_date=FEB_5, idempotency_key="k"
        )
    assert LoanPosting.objects.count() == 1


def test_payment_above_the_payoff_is_refused_and_changes_nothing():
    loan = LoanFactory(original_principal=Decimal("1000.00"))
    before = _balances(loan.pk)
    with pytest.raises(AllocationError):
        loan_post_payment(
            loan_id=loan.pk, amount=Decimal("1100.00"), effective_date=FEB_5, idempotency_key="x"
        )
    assert _balances(loan.pk) == before
    assert not LoanPosting.objects.exists()


def test_principal_only_payment_does_not_count_toward_installments():
    loan = LoanFactory()
    posting = loan_post_payment(
        loan_id=loan.pk,
        amount=Decimal("1000.00"),
        effective_date=FEB_5,
        principal_only=True,
        idempotency_key="p",
    )
    assert (posting.interest, posting.principal) == (Decimal("0.00"), Decimal("1000.00"))
    loan.refresh_from_db()
    assert loan.principal_balance == Decimal("24000.00")
    assert loan.accrued_interest == Decimal("127.40")  # accrued, still owed
    assert loan.paid_toward_installments == Decimal("0.00")


def test_reversal_restores_balances_and_status_to_the_cent():
    loan = LoanFactory(unpaid_fees=Decimal("25.00"))
    payment = loan_post_payment(
        loan_id=loan.pk, amount=Decimal("508.32"), effective_date=FEB_5, idempotency_key="a"
    )
    reversal = loan_reverse_posting(posting_id=payment.pk, reason="ACH return R01")
    assert (reversal.fees, reversal.interest, reversal.principal) == (
        Decimal("-25.00"),
        Decimal("-127.40"),
        Decimal("-355.92"),
    )
    # As before the payment, with the 31 days' interest accrued through Feb 5.
    assert _balances(loan.pk) == (
        Decimal("25000.00"),
        Decimal("127.40"),
        Decimal("25.00"),
        Decimal("0.00"),
        "current",
    )
    again = loan_reverse_posting(posting_id=payment.pk, reason="ACH return R01")
    assert again.pk == reversal.pk
    assert LoanPosting.objects.filter(kind="reversal").count() == 1


def test_reversing_an_earlier_payment_charges_the_interest_its_principal_would_have_accrued():
    loan = LoanFactory()
    first = loan_post_payment(
        loan_id=loan.pk, amount=Decimal("483.32"), effective_date=FEB_5, idempotency_key="1"
    )
    loan_post_payment(
        loan_id=loan.pk, amount=Decimal("483.32"), effective_date=MAR_5, idempotency_key="2"
    )
    reversal = loan_reverse_posting(posting_id=first.pk, reason="returned")
    # 355.92 of principal for 28 days at 6 %: 355.92 x 6 x 28 / 36500 = 1.638 → 1.64
    assert reversal.interest_accrued == Decimal("1.64")
    principal, interest, *_ = _balances(loan.pk)
    # Same total as if only the March payment had been made: 25000 + 242.47 − 483.32
    assert principal + interest == Decimal("24759.15")


def test_a_reversal_cannot_be_reversed():
    loan = LoanFactory()
    payment = loan_post_payment(
        loan_id=loan.pk, amount=Decimal("10.00"), effective_date=FEB_5, idempotency_key="r"
    )
    reversal = loan_reverse_posting(posting_id=payment.pk, reason="error")
    with pytest.raises(LoanPostingError):
        loan_reverse_posting(posting_id=reversal.pk, reason="oops")


def test_paying_a_payoff_quote_late_writes_the_small_residual_off():
    lender = LenderFactory(payoff_tolerance=Decimal("1.00"))
    loan = LoanFactory(lender=lender, original_principal=Decimal("1000.00"))
    good_through = FEB_5
    quote = sum(
        (loan_balances_on(loan, good_through).__dict__[k] for k in ("principal", "interest")),
        Decimal("0.00"),
    )
    assert quote == Decimal("1005.10")  # 1000 x 6 x 31 / 36500 = 5.096 → 5.10
    # Paid on the good-through date but after the cut-off: effective two days later.
    posting = loan_post_payment(
        loan_id=loan.pk,
        amount=quote,
        effective_date=good_through + dt.timedelta(days=2),
        payoff=True,
        idempotency_key="payoff",
    )
    write_off = LoanPosting.objects.get(kind="write_off")
    assert write_off.caused_by_id == posting.pk
    assert write_off.total == Decimal("0.32")  # 33 days: 1000 x 6 x 33 / 36500 = 5.42
    assert _balances(loan.pk)[:3] == (Decimal("0.00"),) * 3
    assert _balances(loan.pk)[4] == "paid_off"


def test_paying_a_payoff_quote_early_records_the_excess_as_owed_back():
    loan = LoanFactory(original_principal=Decimal("1000.00"))
    posting = loan_post_payment(
        loan_id=loan.pk,
        amount=Decimal("1005.10"),  # the quote good through Feb 5
        effective_date=dt.date(2026, 2, 3),  # 29 days: 4.77 of interest
        payoff=True,
        idempotency_key="early",
    )
    assert posting.unapplied == Decimal("0.33")
    assert posting.total == Decimal("1004.77")
    assert _balances(loan.pk)[4] == "paid_off"
    assert not LoanPosting.objects.filter(kind="write_off").exists()


def test_a_residual_above_the_tolerance_is_not_written_off():
    loan = LoanFactory(original_principal=Decimal("1000.00"))
    loan_post_payment(
        loan_id=loan.pk,
        amount=Decimal("1000.00"),
        effective_date=FEB_5,
        payoff=True,
        idempotency_key="short",
    )
    assert _balances(loan.pk)[:2] == (Decimal("5.10"), Decimal("0.00"))
    assert not LoanPosting.objects.filter(kind="write_off").exists()


def test_reversing_a_payoff_payment_also_reverses_its_write_off():
    loan = LoanFactory(original_principal=Decimal("1000.00"))
    payment = loan_post_payment(
        loan_id=loan.pk,
        amount=Decimal("1005.10"),
        effective_date=dt.date(2026, 2, 7),
        payoff=True,
        idempotency_key="po",
    )
    loan_reverse_posting(posting_id=payment.pk, reason="returned R01")
    assert LoanPosting.objects.filter(kind="reversal").count() == 2
    principal, interest, fees, paid, status = _balances(loan.pk)
    assert (principal, interest, fees, paid) == (
        Decimal("1000.00"),
        Decimal("5.42"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert status == "past_due"  # on Feb 7 the Feb 5 installment is unpaid again


def test_late_fee_is_assessed_once_per_installment_however_often_the_job_runs():
    loan = LoanFactory()  # first due Feb 5, 10 grace days
    assert loan_assess_late_fees(loan_id=loan.pk, on=dt.date(2026, 2, 15)) == []
    for _ in range(3):
        loan_assess_late_fees(loan_id=loan.pk, on=dt.date(2026, 2, 16))
        loan_assess_late_fee(loan_id=loan.pk, installment_number=1, on=dt.date(2026, 2, 20))
    fees = LoanPosting.objects.filter(kind="late_fee")
    assert [(f.installment_number, f.fees) for f in fees] == [(1, Decimal("-25.00"))]
    assert _balances(loan.pk)[2] == Decimal("25.00")


def test_late_fee_is_not_assessed_when_the_installment_was_paid():
    loan = LoanFactory()
    loan_post_payment(
        loan_id=loan.pk, amount=Decimal("483.32"), effective_date=FEB_5, idempotency_key="p"
    )
    assert loan_assess_late_fee(loan_id=loan.pk, installment_number=1, on=MAR_5) is None
    assert not LoanPosting.objects.filter(kind="late_fee").exists()


def test_percent_late_fee_is_capped_by_the_lender_policy():
    lender = LenderFactory(
        late_fee_kind=Lender.LateFeeKind.PERCENT,
        late_fee_percent=Decimal("5.00"),
        late_fee_cap=Decimal("20.00"),
    )
    loan = LoanFactory(lender=lender)  # 5 % of 483.32 = 24.17, capped at 20.00
    posting = loan_assess_late_fee(loan_id=loan.pk, installment_number=1, on=MAR_5)
    assert posting.fees == Decimal("-20.00")


def test_nsf_fee_is_assessed_once_per_returned_payment():
    loan = LoanFactory()
    first = loan_assess_nsf_fee(loan_id=loan.pk, external_ref="payment:7", on=FEB_5)
    second = loan_assess_nsf_fee(loan_id=loan.pk, external_ref="payment:7", on=MAR_5)
    assert first.pk == second.pk
    assert _balances(loan.pk)[2] == Decimal("25.00")


def test_staff_can_waive_unpaid_fees_but_not_more():
    staff = UserFactory(is_staff=True)
    loan = LoanFactory(unpaid_fees=Decimal("25.00"))
    with pytest.raises(LoanPostingError):
        loan_waive_fee(
            loan_id=loan.pk, amount=Decimal("30.00"), reason="goodwill", actor=staff, on=FEB_5
        )
    posting = loan_waive_fee(
        loan_id=loan.pk, amount=Decimal("25.00"), reason="goodwill", actor=staff, on=FEB_5
    )
    assert posting.created_by == staff
    assert posting.created_by_label == f"user:{staff.pk}"
    assert _balances(loan.pk)[2] == Decimal("0.00")


def test_postings_are_append_only():
    loan = LoanFactory()
    posting = loan_post_payment(
        loan_id=loan.pk, amount=Decimal("10.00"), effective_date=FEB_5, idempotency_key="z"
    )
    posting.memo = "edited"
    with pytest.raises(ValueError, match="append-only"):
        posting.save()
    with pytest.raises(ValueError, match="append-only"):
        posting.delete()


def test_interest_paid_counts_payments_net_of_reversals_by_year():
    loan = LoanFactory()
    loan_post_payment(
        loan_id=loan.pk, amount=Decimal("483.32"), effective_date=FEB_5, idempotency_key="1"
    )
    second = loan_post_payment(
        loan_id=loan.pk, amount=Decimal("483.32"), effective_date=MAR_5, idempotency_key="2"
    )
    assert interest_paid(loan) == Decimal("240.83")  # 127.40 + 113.43
    loan_reverse_posting(posting_id=second.pk, reason="returned")
    assert interest_paid(loan, year=2026) == Decimal("127.40")
    assert interest_paid(loan, year=2025) == Decimal("0.00")


def test_loan_get_for_user_refuses_other_borrowers_and_viewers_who_want_to_pay():
    link = LoanLinkFactory()
    other = UserFactory()
    viewer = LoanLinkFactory(loan=link.loan, role=LoanLink.Role.VIEWER).user
    assert loan_get_for_user(link.user, link.loan.pk, need="pay") == link.loan
    assert loan_get_for_user(viewer, link.loan.pk).pk == link.loan.pk
    for user, need in [(other, "view"), (other, "pay"), (viewer, "pay")]:
        with pytest.raises(NotFound):
            loan_get_for_user(user, link.loan.pk, need=need)
    with pytest.raises(NotFound):
        loan_get_for_user(link.user, "not-a-number")


def test_dashboard_shows_the_last_payment_not_reversed():
    link = LoanLinkFactory()
    loan_post_payment(
        loan_id=link.loan.pk, amount=Decimal("483.32"), effective_date=FEB_5, idempotency_key="1"
    )
    later = loan_post_payment(
        loan_id=link.loan.pk, amount=Decimal("50.00"), effective_date=MAR_5, idempotency_key="2"
    )
    [summary] = dashboard_for_user(link.user, now=MAR_5_NOON)
    assert (summary.last_payment_date, summary.last_payment_amount) == (MAR_5, Decimal("50.00"))
    loan_reverse_posting(posting_id=later.pk, reason="returned")
    [summary] = dashboard_for_user(link.user, now=MAR_5_NOON, autopay_loan_ids={link.loan.pk})
    assert (summary.last_payment_date, summary.last_payment_amount) == (FEB_5, Decimal("483.32"))
    assert summary.autopay_on is True


def _kept_last_payment(loan_id):
    loan = Loan.objects.get(pk=loan_id)
    return (loan.ledger_last_payment_date, loan.ledger_last_payment_amount)


def test_the_loan_keeps_its_last_payment_through_same_day_backdated_and_reversed_payments():
    loan = LoanFactory()

    def pay(amount, day, key):
        return loan_post_payment(
            loan_id=loan.pk, amount=Decimal(amount), effective_date=day, idempotency_key=key
        )

    assert _kept_last_payment(loan.pk) == (None, None)
    first = pay("100.00", MAR_5, "a")
    assert _kept_last_payment(loan.pk) == (MAR_5, Decimal("100.00"))
    backdated = pay("50.00", FEB_5, "b")  # posted later, effective earlier: not the last
    assert _kept_last_payment(loan.pk) == (MAR_5, Decimal("100.00"))
    same_day = pay("25.00", MAR_5, "c")  # same day, posted later: the last
    assert _kept_last_payment(loan.pk) == (MAR_5, Decimal("25.00"))
    loan_reverse_posting(posting_id=backdated.pk, reason="returned")
    assert _kept_last_payment(loan.pk) == (MAR_5, Decimal("25.00"))
    loan_reverse_posting(posting_id=same_day.pk, reason="returned")
    assert _kept_last_payment(loan.pk) == (MAR_5, Decimal("100.00"))
    loan_reverse_posting(posting_id=first.pk, reason="returned")
    assert _kept_last_payment(loan.pk) == (None, None)


def test_refill_sets_a_stale_last_payment_from_the_ledger_and_changes_nothing_twice():
    """After a deploy during which code without the columns posted payments."""
    stale, right, empty = LoanFactory(), LoanFactory(), LoanFactory()
    for loan in (stale, right):
        loan_post_payment(
            loan_id=loan.pk, amount=Decimal("483.32"), effective_date=FEB_5, idempotency_key=None
        )
    # The code before the columns posted this one: the ledger has it, the loan row does not.
    later = loan_post_payment(
        loan_id=stale.pk, amount=Decimal("50.00"), effective_date=MAR_5, idempotency_key=None
    )
    Loan.objects.filter(pk=stale.pk).update(
        ledger_last_payment_date=FEB_5, ledger_last_payment_amount=Decimal("483.32")
    )
    out = io.StringIO()
    call_command("refill_last_payments", stdout=out)
    assert out.getvalue().strip() == "Last payment set again: 1 loan(s) changed."
    assert _kept_last_payment(stale.pk) == (MAR_5, Decimal("50.00"))
    assert _kept_last_payment(right.pk) == (FEB_5, Decimal("483.32"))
    assert _kept_last_payment(empty.pk) == (None, None)
    assert later.received == Decimal("50.00")
    assert loans_refill_last_payment(batch=1) == 0
