"""Pure schedule maths: rrule periods, previous-business-day shift, amount rules."""

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from loans.calendar import is_business_day
from payments.autopay import schedule as sched

LOAN = sched.LoanTerms(
    first_due_date=dt.date(2026, 1, 31), due_day=31, term_months=60, installment=Decimal("483.32")
)


def test_due_day_31_falls_on_each_months_last_day_and_weekends_move_back():
    plan = sched.PlanTerms(
        schedule="monthly_due", amount_rule="installment", start_date=dt.date(2026, 1, 1)
    )
    got = list(sched.periods(plan, LOAN, limit=6))
    assert [p.key for p in got] == [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 30),
        dt.date(2026, 5, 31),
        dt.date(2026, 6, 30),
    ]
    # Sat Jan 31 -> Fri Jan 30; Sat Feb 28 -> Fri Feb 27; Sun May 31 -> Fri May 29.
    assert [p.run_date for p in got] == [
        dt.date(2026, 1, 30),
        dt.date(2026, 2, 27),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 30),
        dt.date(2026, 5, 29),
        dt.date(2026, 6, 30),
    ]


def test_holiday_moves_the_run_to_the_previous_business_day():
    loan = sched.LoanTerms(dt.date(2026, 7, 4), 4, 12, Decimal("100.00"))
    plan = sched.PlanTerms(
        schedule="monthly_due", amount_rule="installment", start_date=dt.date(2026, 6, 1)
    )
    first = next(sched.periods(plan, loan))
    # July 4 2026 is a Saturday: the Fed stays open on Friday July 3, so that is the run date.
    assert first.run_date == dt.date(2026, 7, 3)
    loan = sched.LoanTerms(dt.date(2026, 11, 26), 26, 12, Decimal("100.00"))  # Thanksgiving
    assert next(sched.periods(plan, loan)).run_date == dt.date(2026, 11, 25)
    loan = sched.LoanTerms(dt.date(2026, 1, 19), 19, 12, Decimal("100.00"))  # MLK day, Monday
    plan = sched.PlanTerms(
        schedule="monthly_due", amount_rule="installment", start_date=dt.date(2026, 1, 1)
    )
    assert next(sched.periods(plan, loan)).run_date == dt.date(2026, 1, 16)


def test_chosen_day_is_on_or_before_the_due_date():
    loan = sched.LoanTerms(dt.date(2026, 2, 5), 5, 12, Decimal("100.00"))
    plan = sched.PlanTerms(
        schedule="monthly_day",
        amount_rule="installment",
        start_date=dt.date(2026, 1, 1),
        day_of_month=1,
    )
    got = list(sched.periods(plan, loan, limit=2))
    assert got[0].run_date == dt.date(2026, 1, 30)  # Sun Feb 1 -> Fri Jan 30
    assert got[1].run_date == dt.date(2026, 2, 27)  # Sun Mar 1 -> Fri Feb 27
    plan = sched.PlanTerms(
        schedule="monthly_day",
        amount_rule="installment",
        start_date=dt.date(2026, 1, 1),
        day_of_month=20,
    )
    assert next(sched.periods(plan, loan)).run_date == dt.date(2026, 1, 20)  # month before


def test_biweekly_every_14_days_from_the_start():
    plan = sched.PlanTerms(
        schedule="biweekly",
        amount_rule="installment",
        start_date=dt.date(2026, 12, 4),
        end_date=dt.date(2027, 2, 1),
    )
    got = list(sched.periods(plan, LOAN))
    assert [p.key for p in got] == [
        dt.date(2026, 12, 4),
        dt.date(2026, 12, 18),
        dt.date(2027, 1, 1),
        dt.date(2027, 1, 15),
        dt.date(2027, 1, 29),
    ]
    assert got[2].run_date == dt.date(2026, 12, 31)  # New Year's Day


def test_amount_rules_and_final_payment_capped_at_payoff():
    monthly = sched.PlanTerms("monthly_due", "installment", dt.date(2026, 1, 1))
    kw = {"installment": Decimal("483.32"), "amount_due": Decimal("508.32")}
    assert sched.debit_amount(monthly, payoff=Decimal("9000"), **kw) == Decimal("483.32")
    assert sched.debit_amount(monthly, payoff=Decimal("120.10"), **kw) == Decimal("120.10")
    due = sched.PlanTerms("monthly_due", "due", dt.date(2026, 1, 1))
    assert sched.debit_amount(due, payoff=Decimal("9000"), **kw) == Decimal("508.32")
    fixed = sched.PlanTerms(
        "monthly_due", "fixed", dt.date(2026, 1, 1), fixed_amount=Decimal("600.00")
    )
    assert sched.debit_amount(fixed, payoff=Decimal("9000"), **kw) == Decimal("600.00")
    extra = sched.PlanTerms("biweekly", "extra", dt.date(2026, 1, 1), extra_amount=Decimal("25.00"))
    assert sched.debit_amount(extra, payoff=Decimal("9000"), **kw) == Decimal("266.66")


@settings(max_examples=300, deadline=None)
@given(
    first=st.dates(dt.date(2025, 1, 1), dt.date(2030, 12, 31)),
    due_day=st.integers(1, 31),
    schedule=st.sampled_from(["monthly_due", "monthly_day", "biweekly"]),
    chosen=st.integers(1, 28),
)
def test_every_run_date_is_a_business_day_on_or_before_its_date(first, due_day, schedule, chosen):
    from loans.calendar import due_date

    first = due_date(first.year, first.month, due_day)
    loan = sched.LoanTerms(first, due_day, 24, Decimal("100.00"))
    plan = sched.PlanTerms(
        schedule,
        "installment",
        first - dt.timedelta(days=40),
        day_of_month=chosen if schedule == "monthly_day" else None,
    )
    got = list(sched.periods(plan, loan, limit=30))
    keys = [p.key for p in got]
    assert keys == sorted(set(keys))
    for p in got:
        assert is_business_day(p.run_date)
        assert p.run_date <= p.key
        assert (p.key - p.run_date).days <= (35 if schedule == "monthly_day" else 4)
    # A cursor restart gives the same periods.
    if len(got) > 3:
        assert list(sched.periods(plan, loan, from_key=got[2].key, limit=3)) == got[2:5]
