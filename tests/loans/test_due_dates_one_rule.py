"""Contract due dates have one rule (loans.calendar.due_dates); every caller must agree with it.

A second copy of the rule (autopay once used dateutil's rrule, the delinquency rules their own
type) would drift first on due days 29-31, so the random contracts lean on those.
"""

import calendar as stdlib_calendar
import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from loans.calendar import due_date, due_dates, due_dates_through, next_due_date_on_or_after
from loans.delinquency import ContractSchedule
from loans.schedule import amortization_schedule
from payments.autopay import schedule as sched


@st.composite
def contracts(draw):
    due_day = draw(st.one_of(st.integers(29, 31), st.integers(1, 31)))
    first = due_date(draw(st.integers(2020, 2032)), draw(st.integers(1, 12)), due_day)
    term = draw(st.integers(1, 84))
    return ContractSchedule(first, due_day, term, Decimal("100.00"))


def _by_hand(contract: ContractSchedule) -> list[dt.date]:
    """The rule written out: the due day, or a shorter month's last day."""
    out, year, month = [], contract.first_due_date.year, contract.first_due_date.month
    for _ in range(contract.term_months):
        last = stdlib_calendar.monthrange(year, month)[1]
        out.append(dt.date(year, month, min(contract.due_day, last)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@settings(max_examples=300, deadline=None)
@given(contracts())
def test_every_caller_gives_the_one_functions_due_dates(contract):
    expected = due_dates(contract.first_due_date, contract.due_day, contract.term_months)
    assert expected == _by_hand(contract)
    assert contract.due_dates() == expected
    assert [contract.due_date(n) for n in range(1, contract.term_months + 1)] == expected
    assert list(sched.contract_due_dates(contract)) == expected
    monthly_due = sched.PlanTerms(sched.MONTHLY_DUE, sched.INSTALLMENT, dt.date(2000, 1, 1))
    assert [p.key for p in sched.periods(monthly_due, contract)] == expected
    rows = amortization_schedule(
        Decimal("5000.00"),
        Decimal("0"),
        contract.term_months,
        contract.first_due_date,
        contract.due_day,
    )
    assert [row.due_date for row in rows] == expected


@settings(max_examples=200, deadline=None)
@given(contracts(), st.data())
def test_a_cursor_and_the_counts_land_on_the_same_due_dates(contract, data):
    expected = contract.due_dates()
    k = data.draw(st.integers(0, contract.term_months - 1))
    monthly_due = sched.PlanTerms(sched.MONTHLY_DUE, sched.INSTALLMENT, dt.date(2000, 1, 1))
    keys = [p.key for p in sched.periods(monthly_due, contract, from_key=expected[k])]
    assert keys == expected[k:]
    day = expected[k]
    assert contract.due_count(day) == k + 1
    assert (
        due_dates_through(contract.first_due_date, contract.due_day, contract.term_months, day)
        == k + 1
    )
    assert (
        next_due_date_on_or_after(
            contract.first_due_date, contract.due_day, contract.term_months, day
        )
        == expected[k]
    )


def test_autopays_loan_terms_are_the_contract_schedule():
    assert sched.LoanTerms is ContractSchedule
