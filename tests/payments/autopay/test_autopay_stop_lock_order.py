# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures and test_autopay_held_stop
"""A borrower's pause (or cancel) that stops a held payment and a staff change of the loan's
terms, at the same moment, never deadlock: both lock the loan first, then the plan
(lock_objects.plan_and_loan_for_update; loans/servicing -> reschedule).

Observed before (attacker review helper-69): the pause locked plan -> loan (held_stop.py),
the deferral loan -> plan: PostgreSQL aborted one of them, "deadlock detected", a 500."""

import threading

import pytest
from autopay_fixtures import at, enroll, five_tries_within_the_hour, inline_charges  # noqa: F401
from django.db import connections
from factories import UserFactory
from test_autopay_held_stop import DEC_10, held_december  # noqa: F401

from loans import servicing
from payments.autopay import held_stop, reschedule
from payments.autopay.services import autopay_pause


@pytest.mark.django_db(transaction=True)
def test_a_pause_stopping_a_held_payment_and_a_staff_deferral_at_once_do_not_deadlock(
    held_december, borrower, linked_loan, monkeypatch
):
    """Each side is held at the point where, before, it had its first lock and wanted the
    other's: the pause inside the held payment's stop, the deferral before its plans. Now
    the pause holds the loan from the start, so the deferral waits for it and then moves the
    (paused) plan: both succeed."""
    plan, _held = held_december
    in_pause, in_deferral = threading.Event(), threading.Event()
    stop, rebuild = held_stop.payment_for_update, reschedule.autopay_loan_terms_changed

    def pause_waits(payment_id):
        in_pause.set()
        in_deferral.wait(3)
        return stop(payment_id)

    def deferral_waits(**kw):
        in_deferral.set()
        in_pause.wait(3)
        return rebuild(**kw)

    monkeypatch.setattr(held_stop, "payment_for_update", pause_waits)
    monkeypatch.setattr(reschedule, "autopay_loan_terms_changed", deferral_waits)
    outcomes = {}

    def run(name, call):
        try:
            outcomes[name] = call()
        except Exception as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    sides = [
        threading.Thread(
            target=run,
            args=(
                "pause",
                lambda: autopay_pause(plan_id=plan.pk, user=borrower, now=at(DEC_10, 10)),
            ),
        ),
        threading.Thread(
            target=run,
            args=(
                "deferral",
                lambda: servicing.loan_defer_installments(
                    loan_id=linked_loan.pk,
                    months=1,
                    reason="Hardship",
                    actor=UserFactory(is_staff=True),
                    on=DEC_10,
                ),
            ),
        ),
    ]
    for side in sides:
        side.start()
    for side in sides:
        side.join(30)

    assert outcomes["pause"].status == "paused"
    loan, _audit = outcomes["deferral"]
    assert loan.first_due_date.month == linked_loan.first_due_date.month % 12 + 1
