# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures and the held-stop tests
"""Staff changing the terms of a loan whose autopay payment waits for their own review are told
what to do about it. Before, the refusal read "scheduled or being processed; change its terms
after it is made", which names neither the payment nor the review that is waiting for them."""

import datetime as dt

import pytest
from autopay_fixtures import at, enroll, five_tries_within_the_hour, inline_charges  # noqa: F401
from staff_helpers import make_staff
from test_autopay_held_stop import held_december  # noqa: F401

from accounts.roles import SUPERVISOR
from loans.servicing import ServicingError, loan_defer_installments

pytestmark = pytest.mark.django_db


def test_a_term_change_while_an_autopay_payment_waits_for_review_names_it(
    held_december, time_machine
):
    plan, held = held_december
    time_machine.move_to(at(dt.date(2026, 12, 4), 8))
    with pytest.raises(ServicingError) as refused:
        loan_defer_installments(
            loan_id=plan.loan_id,
            months=1,
            reason="Hardship",
            actor=make_staff(SUPERVISOR),
            on=dt.date(2026, 12, 4),
        )
    assert str(refused.value) == (
        f"Autopay's payment {held.reference} waits for review: approve or reject it first, "
        "then change the terms."
    )
    assert refused.value.field == "months"
    plan.loan.refresh_from_db()
    assert plan.loan.first_due_date == dt.date(2026, 2, 5)  # nothing changed
