# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures
"""A loan's due debits (catch-up periods, a retry beside the current period) are never split
between chunks or parts (payments/autopay/loan_groups.py): split, each half's first debit was
priced from a ledger without the other's payment. Found by the attacker review of 056ee95
(two chunks at once) and, with one chunk thread, at part boundaries before it."""

import datetime as dt
from decimal import Decimal

import pytest
from autopay_fixtures import at, enroll, inline_charges  # noqa: F401
from django.db.models import Count, Sum

from loans.models import Loan
from payments import jobs
from payments.autopay import pipeline
from payments.autopay.loan_groups import split_by_loan
from payments.models import AutopayDebit, JobRun, Payment, SandboxCharge

START = dt.date(2026, 11, 24)  # linked_loan: next due Dec 5 2026, installment 483.32
INSTALLMENT = Decimal("483.32")


def _posted_total(**filters) -> Decimal:
    posted = Payment.objects.filter(source="autopay", status="posted", **filters)
    return posted.aggregate(t=Sum("amount"))["t"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("chunk_threads", [1, 2])
def test_three_missed_periods_of_a_due_rule_plan_are_three_installments(
    settings, linked_loan, add_card, enroll, chunk_threads
):
    """Before: with two threads the three debits ran as chunks [Dec, Jan] and [Feb], and Feb,
    "first" in its chunk, was priced as all three installments due: 2,416.60 taken."""
    settings.AUTOPAY_CHUNK_THREADS = chunk_threads
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9), amount_rule="due")
    day = dt.date(2027, 2, 10)  # Dec 5, Jan 5 and Feb 5 missed

    result = jobs.run_autopay(on=day, now=at(day))

    assert (result["due"], result["charged"]) == (3, 3)
    assert (
        list(AutopayDebit.objects.filter(plan=plan).order_by("period_key").values_list("amount"))
        == [(INSTALLMENT,)] * 3
    )
    assert _posted_total() == Decimal("1449.96")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("chunk_threads", [1, 2])
def test_the_final_catch_up_pays_the_loan_off(
    settings, linked_loan, add_card, enroll, chunk_threads
):
    """Before: with two threads, chunks [Dec] and [Jan] ran at once; Dec was refused ("a
    payment of $483.32 is already on its way") and the loan left past due."""
    settings.AUTOPAY_CHUNK_THREADS = chunk_threads
    Loan.objects.filter(pk=linked_loan.pk).update(principal_balance=Decimal("725.00"))
    plan = enroll(linked_loan, add_card("4242424242424242"), now=at(START, 9))
    day = dt.date(2027, 1, 11)  # Dec 5 and Jan 5 due

    jobs.run_autopay(on=day, now=at(day))

    linked_loan.refresh_from_db()
    assert linked_loan.status == "paid_off"
    assert list(
        AutopayDebit.objects.filter(plan=plan).order_by("period_key").values_list("status")
    ) == [("charged",), ("charged",)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rule", ["installment", "due"])
@pytest.mark.parametrize(
    ("chunk_threads", "concurrency", "part"),
    [(2, 4, 2), (1, 1, 2), (1, 4, 2)],
    ids=["two-chunk-threads", "one-thread-inline", "one-thread-pipelined"],
)
def test_catch_ups_in_small_chunks_and_parts_are_one_installment_a_period(
    settings, add_card, borrower, rule, chunk_threads, concurrency, part
):
    """20 loans with three missed periods each, chunks of 4 and parts of 2 (a loan's three
    debits fit neither): each period charged once, one installment each. Before, parts of 2
    alone (one thread) skipped a period as "nothing due" or charged two installments."""
    from factories import LoanFactory, LoanLinkFactory

    from payments.autopay import schedule as sched
    from payments.autopay.services import autopay_enroll

    settings.AUTOPAY_CHUNK_THREADS, settings.AUTOPAY_CHUNK_SIZE = chunk_threads, 4
    settings.AUTOPAY_CHARGE_CONCURRENCY, settings.AUTOPAY_PART_SIZE = concurrency, part
    card = add_card("4242424242424242")
    for _ in range(20):
        loan = LoanFactory(ten_paid=True)
        LoanLinkFactory(user=borrower, loan=loan)
        autopay_enroll(
            user=borrower,
            loan_id=loan.pk,
            method=card,
            terms=sched.PlanTerms("monthly_due", rule, START),
            ip_address=None,
            user_agent="",
            now=at(START, 9),
        )
    day = dt.date(2027, 2, 10)

    try:
        jobs.run_autopay(on=day, now=at(day))
    finally:
        pipeline.close_callers()

    statuses = dict(AutopayDebit.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses == {"charged": 60}
    assert SandboxCharge.objects.count() == 60
    assert SandboxCharge.objects.values("idempotency_key").distinct().count() == 60
    for loan in Loan.objects.filter(links__user=borrower):
        assert _posted_total(loan=loan) == 3 * loan.installment_amount, loan.pk
    run = JobRun.objects.get(job="run_autopay")
    assert (run.status, run.due, run.charged) == ("finished", 60, 60)


def test_a_loans_debits_stay_in_one_list_and_lists_keep_their_size():
    loan_of = {1: 10, 2: 20, 3: 10, 4: 30, 5: 20, 6: 10, 7: 40}
    assert split_by_loan([1, 2, 3, 4, 5, 6, 7], loan_of, 4) == [[1, 3, 6], [2, 5, 4, 7]]
    assert split_by_loan([1, 2, 3, 4, 5, 6, 7], loan_of, 2) == [[1, 3, 6], [2, 5], [4, 7]]
    assert split_by_loan([7, 4], loan_of, 0) == [[4], [7]]
    assert split_by_loan([], loan_of, 3) == []


def test_a_debit_whose_loan_is_not_known_stands_alone():
    assert split_by_loan([5, 1, 9], {1: 10, 9: 10}, 2) == [[5], [1, 9]]
