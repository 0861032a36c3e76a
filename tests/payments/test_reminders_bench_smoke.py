"""The reminders benchmark's smoke run (bench/reminders_bench.py): its set-based seeding of
100 loans and two runs of the job, so the benchmark does not rot. Not a measurement."""

import pytest

from payments import jobs
from payments.models import Notice


@pytest.mark.django_db
def test_the_reminders_benchmark_seeds_a_book_and_the_run_sends_each_notice_once():
    from bench.reminders_bench import RUN_DATE, seed

    seed(100, reset_sequences=False)
    first = jobs.send_reminders(on=RUN_DATE)
    again = jobs.send_reminders(on=RUN_DATE)
    kinds = sorted(Notice.objects.values_list("kind", flat=True))
    assert (first["charged"], again["charged"], len(kinds)) == (30, 0, 30)
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "reminder_due": 9,
        "reminder_autopay": 14,  # 40 % on autopay: "will debit" instead of "due"
        "reminder_past_due": 7,  # 8 % behind, one of them in hardship
    }
