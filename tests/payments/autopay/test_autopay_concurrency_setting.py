"""AUTOPAY_CHARGE_CONCURRENCY, processor calls in flight per chunk, is set from the environment
(README, "Performance": fewer threads with a fast batch processor); 0 keeps the default. The
nightly run's sizes refuse to start on a value that is not a count, naming the variable."""

import pytest
from django.db import connection
from test_settings_env import PROD, load_settings, printed_with_settings

from payments.autopay import engine

SHOW = "from ismartpay import settings as s; print(s.AUTOPAY_CHARGE_CONCURRENCY)"


def test_charge_concurrency_is_the_setting_or_the_databases_default(settings):
    settings.AUTOPAY_CHARGE_CONCURRENCY = 2
    assert engine.charge_concurrency() == 2
    settings.AUTOPAY_CHARGE_CONCURRENCY = 0
    assert engine.charge_concurrency() == (1 if connection.vendor == "sqlite" else 16)


def test_the_environment_sets_it_and_leaves_it_0_when_unset():
    assert printed_with_settings(SHOW, AUTOPAY_CHARGE_CONCURRENCY="2") == "2"
    assert printed_with_settings(SHOW) == "0"


@pytest.mark.parametrize(
    ("name", "value", "bounds"),
    [
        ("AUTOPAY_CHARGE_CONCURRENCY", "abc", "0 or more"),
        ("AUTOPAY_CHARGE_CONCURRENCY", "-3", "0 or more"),
        ("AUTOPAY_PROCESSOR_BATCH", "1.5", "0 to 10,000"),
        ("AUTOPAY_CHUNK_SIZE", "0", "1 to 10,000"),
        ("AUTOPAY_CHUNK_SIZE", "100000", "1 to 10,000"),
        ("AUTOPAY_PART_SIZE", "", "1 to 10,000"),
        ("AUTOPAY_CHUNK_THREADS", "-1", "0 to 64"),
        ("AUTOPAY_CHUNK_THREADS", "65", "0 to 64"),
    ],
)
def test_a_value_that_is_not_a_count_refuses_to_start_naming_the_variable(name, value, bounds):
    with pytest.raises(RuntimeError, match=f"{name} must be a whole number \\({bounds}\\)"):
        load_settings(**PROD, **{name: value})
