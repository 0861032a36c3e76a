"""Target 15: after any sequence of ledger steps, balances equal the opening balances plus the sum
of the postings, and never go negative. Plus: concurrent postings on one loan serialize."""

import contextlib
import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum
from factories import LenderFactory, LoanFactory
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from loans.allocation import AllocationError, payoff_amount
from loans.fees import loan_assess_nsf_fee, loan_waive_fee
from loans.history import ledger_last_payment_query
from loans.models import Loan, LoanPosting
from loans.selectors import loan_balances_on
from loans.services import (
    LoanPostingError,
    loan_assess_late_fees,
    loan_post_payment,
    loan_reverse_posting,
)

ZERO = Decimal("0.00")
cents = st.integers(min_value=1, max_value=3_000_00).map(lambda c: Decimal(c).scaleb(-2))


class LedgerMachine(RuleBasedStateMachine):
    """A loan driven by random payments, reversals, fees and waivers over advancing dates."""

    @initialize(
        principal=st.integers(min_value=500_00, max_value=40_000_00),
        apr=st.sampled_from([Decimal("0.00"), Decimal("4.90"), Decimal("6.00"), Decimal("29.99")]),
        fees=st.sampled_from([ZERO, Decimal("25.00")]),
    )
    def open_loan(self, principal, apr, fees):
        principal = Decimal(principal).scaleb(-2)
        self.loan = LoanFactory(
            lender=LenderFactory(name="Ledger lender", payoff_tolerance=Decimal("1.00")),
            original_principal=principal,
            apr_percent=apr,
            term_months=24,
            unpaid_fees=fees,
        )
        self.opening = Loan.objects.get(pk=self.loan.pk)
        self.today = self.loan.contract_date
        self.keys = 0

    def _key(self) -> str:
        self.keys += 1
        return f"{self.loan.pk}-{self.keys}"

    @rule(days=st.integers(min_value=0, max_value=45))
    def time_passes(self, days):
        self.today += dt.timedelta(days=days)

    @rule(amount=cents, principal_only=st.booleans(), payoff=st.booleans())
    def pay(self, amount, principal_only, payoff):
        with contextlib.suppress(AllocationError, LoanPostingError):
            loan_post_payment(
                loan_id=self.loan.pk,
                amount=amount,
                effective_date=self.today,
                principal_only=principal_only,
                payoff=payoff,
                idempotency_key=self._key(),
            )

    @rule()
    def pay_off(self):
        loan = Loan.objects.get(pk=self.loan.pk)
        owed = payoff_amount(loan_balances_on(loan, self.today))
        if owed > 0:
            loan_post_payment(
                loan_id=loan.pk,
                amount=owed,
                effective_date=self.today,
                payoff=True,
                idempotency_key=self._key(),
            )
            assert Loan.objects.get(pk=loan.pk).status == Loan.Status.PAID_OFF

    @rule(pick=st.integers(min_value=0, max_value=1000))
    def reverse_one(self, pick):
        candidates = list(
            LoanPosting.objects.filter(loan=self.loan, reversal__isnull=True)
            .exclude(kind="reversal")
            .values_list("pk", flat=True)
        )
        if candidates:
            # Reversing a fee that was already paid is refused and changes nothing.
            with contextlib.suppress(LoanPostingError):
                loan_reverse_posting(posting_id=candidates[pick % len(candidates)], reason="test")

    @rule()
    def late_fees(self):
        loan_assess_late_fees(loan_id=self.loan.pk, on=self.today)

    @rule(ref=st.integers(min_value=1, max_value=3))
    def nsf_fee(self, ref):
        ref = f"payment:{self.loan.pk}-{ref}"
        loan_assess_nsf_fee(loan_id=self.loan.pk, external_ref=ref, on=self.today)

    @rule()
    def waive(self):
        fees = Loan.objects.get(pk=self.loan.pk).unpaid_fees
        if fees > 0:
            loan_waive_fee(
                loan_id=self.loan.pk, amount=fees, reason="test", actor=None, on=self.today
            )

    @invariant()
    def balances_equal_opening_plus_postings(self):
        if not hasattr(self, "loan"):
            return
        loan = Loan.objects.get(pk=self.loan.pk)
        sums = LoanPosting.objects.filter(loan=loan).aggregate(
            fees=Sum("fees", default=ZERO),
            interest=Sum("interest", default=ZERO),
            principal=Sum("principal", default=ZERO),
            accrued=Sum("interest_accrued", default=ZERO),
            counts=Sum("counts_toward_installments", default=ZERO),
        )
        o = self.opening
        assert loan.principal_balance == o.principal_balance - sums["principal"]
        assert loan.accrued_interest == o.accrued_interest + sums["accrued"] - sums["interest"]
        assert loan.unpaid_fees == o.unpaid_fees - sums["fees"]
        assert loan.paid_toward_installments == o.paid_toward_installments + sums["counts"]
        assert min(loan.principal_balance, loan.accrued_interest, loan.unpaid_fees) >= 0
        last = LoanPosting.objects.filter(loan=loan).last()
        if last is not None:
            assert (
                last.principal_balance_after,
                last.accrued_interest_after,
                last.unpaid_fees_after,
            ) == (loan.principal_balance, loan.accrued_interest, loan.unpaid_fees)
        # No payment reference (processor charge) appears on two payment postings.
        refs = list(
            LoanPosting.objects.filter(kind="nsf_fee").values_list("external_ref", flat=True)
        )
        assert len(refs) == len(set(refs))
        # Late fees: at most one per installment.
        numbers = list(
            LoanPosting.objects.filter(loan=loan, kind="late_fee").values_list(
                "installment_number", flat=True
            )
        )
        assert len(numbers) == len(set(numbers))
        # The last payment kept on the loan is the ledger's (history.ledger_last_payment_query).
        last_payment = ledger_last_payment_query(loan).first()
        assert (loan.ledger_last_payment_date, loan.ledger_last_payment_amount) == (
            (last_payment.effective_date, last_payment.received) if last_payment else (None, None)
        )


@pytest.mark.django_db
def test_ledger_balances_always_equal_opening_plus_postings():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def _in_thread(target, results, index):
    try:
        results[index] = target()
    except Exception as exc:  # reported by the test
        results[index] = exc
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_payments_on_one_loan_serialize():
    loan = LoanFactory()
    day = dt.date(2026, 2, 5)
    barrier = threading.Barrier(2)

    def pay(key):
        def run():
            barrier.wait()
            return loan_post_payment(
                loan_id=loan.pk, amount=Decimal("300.00"), effective_date=day, idempotency_key=key
            )

        return run

    results: list = [None, None]
    threads = [
        threading.Thread(target=_in_thread, args=(pay(f"t{i}"), results, i)) for i in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(isinstance(r, LoanPosting) for r in results), results
    loan.refresh_from_db()
    # Interest accrued once (127.40), both payments applied: 25000 − (600 − 127.40)
    assert loan.principal_balance == Decimal("24527.40")
    assert loan.accrued_interest == Decimal("0.00")
    interests = sorted(r.interest for r in results)
    assert interests == [Decimal("0.00"), Decimal("127.40")]
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_with_the_same_idempotency_key_make_one_posting():
    loan = LoanFactory()
    barrier = threading.Barrier(4)

    def run():
        barrier.wait()
        return loan_post_payment(
            loan_id=loan.pk,
            amount=Decimal("483.32"),
            effective_date=dt.date(2026, 2, 5),
            idempotency_key="double-submit",
        )

    results: list = [None] * 4
    threads = [threading.Thread(target=_in_thread, args=(run, results, i)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len({r.pk for r in results}) == 1, results
    assert LoanPosting.objects.filter(loan=loan).count() == 1
    loan.refresh_from_db()
    assert loan.principal_balance == Decimal("24644.08")
    connection.close()
