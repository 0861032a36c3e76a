"""A run that fails part-way records on its JobRun row what it had done: the debits it was
due and what they became, beside the error (the attacker review of 056ee95: a failed run's
row said due 0, charged 0, though it had charged a chunk)."""

import pytest
from autopay_fixtures import BULK_RUN_DATE, at, bulk_due_plans, inline_charges  # noqa: F401

from payments import jobs
from payments.autopay import engine
from payments.models import JobRun


@pytest.mark.django_db(transaction=True)
def test_a_run_that_fails_after_its_first_chunk_records_what_it_charged(settings, monkeypatch):
    settings.AUTOPAY_CHUNK_SIZE, settings.AUTOPAY_CHUNK_THREADS = 2, 1
    bulk_due_plans(4, prefix="F")
    charge_chunk, chunks = engine.autopay_charge_chunk, []

    def second_fails(batch, **kwargs):
        chunks.append(batch)
        if len(chunks) == 2:
            raise RuntimeError("the database went away")
        return charge_chunk(batch, **kwargs)

    monkeypatch.setattr(engine, "autopay_charge_chunk", second_fails)
    with pytest.raises(RuntimeError, match="the database went away"):
        jobs.run_autopay(on=BULK_RUN_DATE, now=at(BULK_RUN_DATE))

    run = JobRun.objects.get(job="run_autopay")
    counts = {k: getattr(run, k) for k in ("due", "charged", "failed", "skipped", "retried")}
    assert run.status == "failed"
    assert counts == {"due": 4, "charged": 2, "failed": 0, "skipped": 0, "retried": 0}
    assert "the database went away" in run.error
