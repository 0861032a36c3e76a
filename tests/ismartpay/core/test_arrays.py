"""ismartpay.core.arrays.any_of: `field__in` as one array parameter on PostgreSQL."""

import datetime as dt

import pytest
from django.db import connection

from ismartpay.core.arrays import any_of
from payments.models import SandboxCharge

pytestmark = pytest.mark.django_db


def _charges(n: int) -> list[SandboxCharge]:
    return SandboxCharge.objects.bulk_create(
        SandboxCharge(
            idempotency_key=f"key-{i}",
            processor_ref=f"ch_{i}",
            token="tok_visa",
            amount_cents=100 + i,
            status="succeeded",
            created_on=dt.date(2026, 12, 4),
        )
        for i in range(n)
    )


def test_any_of_finds_the_same_rows_as_in_for_ids_and_strings():
    charges = _charges(6)
    ids = [charges[1].pk, charges[4].pk, 999_999_999]
    assert set(SandboxCharge.objects.filter(any_of("pk", ids))) == set(
        SandboxCharge.objects.filter(pk__in=ids)
    )
    keys = ["key-0", "key-5", "no-such-key", None]
    assert sorted(
        SandboxCharge.objects.filter(any_of("idempotency_key", keys)).values_list(
            "amount_cents", flat=True
        )
    ) == [100, 105]


def test_an_empty_list_matches_nothing_without_a_statement_as_in_does(
    django_assert_num_queries,
):
    _charges(2)
    with django_assert_num_queries(0):
        assert list(SandboxCharge.objects.filter(any_of("pk", []))) == []
        assert SandboxCharge.objects.filter(any_of("pk", [None])).update(amount_cents=1) == 0


def test_the_statement_is_the_same_text_with_one_parameter_whatever_the_list_length():
    if connection.vendor != "postgresql":
        pytest.skip("the array parameter is PostgreSQL's")

    def compiled(ids):
        query = SandboxCharge.objects.filter(any_of("pk", ids)).query
        return query.get_compiler(connection=connection).as_sql()

    (short, short_params), (long, long_params) = compiled([1, 2]), compiled(list(range(500)))
    assert short == long
    assert '"id" = ANY(%s::bigint[])' in short
    assert (short_params, long_params) == (([1, 2],), (list(range(500)),))


def test_array_elements_carry_no_type_modifier_so_nothing_is_cut_or_rounded():
    from ismartpay.core.arrays import element_type
    from loans.models import Loan

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's types")

    def typed(model, name):
        return element_type(model._meta.get_field(name), connection)

    assert typed(SandboxCharge, "idempotency_key") == "text"  # varchar(80)
    assert typed(Loan, "original_principal") == "numeric"  # numeric(12, 2)
    assert typed(SandboxCharge, "id") == "bigint"
