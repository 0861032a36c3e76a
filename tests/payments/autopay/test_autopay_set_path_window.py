"""Review (attacker, second pass on F1), now fixed: the mandate is read again right before each
processor call (batch._still_mandated). The finding: the set path checked the autopay mandate (plan
ACTIVE, no bankruptcy/deceased flag) for a whole part (100 debits; with concurrency > 1, every
part of the chunk, since pipeline.charge_claimed prepares them all before waiting) in
`batch.prepare`, commits, and only then calls the processor for each one. The one-debit path
checks each debit under its loan's lock right before its own call (engine.autopay_charge_debit,
then the charge gate in payment_charge). A flag set — under the loan's lock, as
loans.collections.account_flag_set takes it — while the part's earlier charges are at the
processor stops a later debit one by one, but not on the set path: the check ran before."""

import datetime as dt

import pytest
from autopay_fixtures import BULK_RUN_DATE, NY, bulk_due_plans
from factories import UserFactory

from loans.collections import account_flag_set
from payments.autopay import engine
from payments.autopay.system_stops import autopay_suspend
from payments.gateways.sandbox import SandboxGateway
from payments.models import AutopayPlan, SandboxCharge

NOW = dt.datetime(2026, 12, 4, 6, tzinfo=NY)


def _stop_the_others_at_the_first_call(monkeypatch, plan_ids: list[int], how: str) -> None:
    """At the night's first processor call, stop the mandate on every other plan's loan."""
    real_charge, calls = SandboxGateway.charge, []
    staff = UserFactory(is_staff=True)

    def charge(self, request):
        calls.append(request.idempotency_key)
        if len(calls) == 1:
            first_plan = int(request.idempotency_key.split(":")[1])
            for plan in AutopayPlan.objects.filter(pk__in=plan_ids).exclude(pk=first_plan):
                if how == "bankruptcy":
                    account_flag_set(
                        loan_id=plan.loan_id,
                        kind="bankruptcy",
                        start_date=BULK_RUN_DATE,
                        end_date=None,
                        reason="Chapter 7 filed this morning: automatic stay",
                        actor=staff,
                    )
                else:
                    autopay_suspend(plan_id=plan.pk, reason="R10: unauthorized")
        return real_charge(self, request)

    monkeypatch.setattr(SandboxGateway, "charge", charge)


@pytest.mark.parametrize("how", ["bankruptcy", "suspended"])
def test_a_mandate_stopped_while_the_parts_first_charge_is_at_the_processor_stops_the_rest(
    how, db, monkeypatch
):
    plan_ids = bulk_due_plans(3, prefix="M")
    _stop_the_others_at_the_first_call(monkeypatch, plan_ids, how)
    engine.autopay_schedule_due(on=BULK_RUN_DATE)
    ids = engine.due_debit_ids(on=BULK_RUN_DATE, now=NOW)
    engine.autopay_charge_chunk(ids, on=BULK_RUN_DATE, now=NOW, concurrency=1)
    # One by one: debit 1 charged, debits 2 and 3 skipped (their mandate is checked after the
    # flag/suspension committed). The set path sends all 3: 2 charges after the stop.
    assert SandboxCharge.objects.count() == 1


@pytest.mark.parametrize("how", ["bankruptcy", "suspended"])
def test_the_charges_held_back_at_the_call_end_skipped_and_cancelled_after_the_sweep(
    how, db, monkeypatch, settings
):
    """The two held back right before their calls stay claimed; the next minute's sweep asks
    the processor (no record), and the charge gate refuses the resend: payments cancelled,
    debits skipped with the reason a fresh debit gets, still one charge in all."""
    from payments.models import AutopayDebit, Payment

    plan_ids = bulk_due_plans(3, prefix="W")
    _stop_the_others_at_the_first_call(monkeypatch, plan_ids, how)
    engine.autopay_schedule_due(on=BULK_RUN_DATE)
    ids = engine.due_debit_ids(on=BULK_RUN_DATE, now=NOW)
    engine.autopay_charge_chunk(ids, on=BULK_RUN_DATE, now=NOW, concurrency=1)
    later = NOW + dt.timedelta(minutes=2)
    settings.AUTOPAY_CHARGE_CONCURRENCY = 1  # the sweep in this test's transaction
    engine.autopay_recover(now=later, on=BULK_RUN_DATE, wall=later)
    reason = (
        "account flag: bankruptcy"
        if how == "bankruptcy"
        else "autopay is suspended until you authorize it again"
    )
    debits = sorted(AutopayDebit.objects.values_list("status", "reason"))
    assert debits == [("charged", ""), ("skipped", reason), ("skipped", reason)]
    assert sorted(Payment.objects.values_list("status", flat=True)) == [
        "cancelled",
        "cancelled",
        "posted",
    ]
    assert SandboxCharge.objects.count() == 1


@pytest.mark.parametrize("how", ["bankruptcy", "suspended"])
def test_what_held_one_by_one_a_mandate_stopped_at_the_first_call_stops_the_rest(
    how, db, monkeypatch
):
    """The control: the same night through the one-debit path charges only the first."""
    from payments.autopay import claims

    plan_ids = bulk_due_plans(3, prefix="O")
    _stop_the_others_at_the_first_call(monkeypatch, plan_ids, how)
    engine.autopay_schedule_due(on=BULK_RUN_DATE)
    ids = engine.due_debit_ids(on=BULK_RUN_DATE, now=NOW)
    claim = claims.autopay_claim(ids, now=NOW)
    outcomes = [
        engine.autopay_charge_debit(pk, on=BULK_RUN_DATE, now=NOW, token=claim.token)
        for pk in sorted(claim.fresh)
    ]
    assert (SandboxCharge.objects.count(), outcomes) == (1, ["charged", "skipped", "skipped"])
