"""PostgreSQL plans a repeated statement once per connection (issue 15 goal 1): parameters are
bound server-side and psycopg prepares a statement after DB_PREPARE_THRESHOLD runs (default 5);
`off` keeps server-side binding and prepares nothing (a PgBouncer without
max_prepared_statements, docs/scaling.md)."""

import pytest
from django.db import connection
from test_settings_env import PROD, load_settings

from accounts.models import User

PG = "postgres://postgres@127.0.0.1:5432/x"


def test_postgres_binds_server_side_and_prepares_after_five_runs_by_default():
    options = load_settings(DATABASE_URL=PG, **PROD)["DB"]["OPTIONS"]
    assert options == {"server_side_binding": True, "prepare_threshold": 5}


def test_db_prepare_threshold_sets_the_runs_or_turns_preparing_off():
    assert load_settings(DATABASE_URL=PG, DB_PREPARE_THRESHOLD="2", **PROD)["DB"]["OPTIONS"] == {
        "server_side_binding": True,
        "prepare_threshold": 2,
    }
    assert load_settings(DATABASE_URL=PG, DB_PREPARE_THRESHOLD="off", **PROD)["DB"]["OPTIONS"] == {
        "server_side_binding": True,
        "prepare_threshold": None,
    }


@pytest.mark.parametrize("value", ["abc", "-1", "2.5"])
def test_a_db_prepare_threshold_that_is_not_a_count_or_off_refuses_to_start(value):
    with pytest.raises(RuntimeError, match="DB_PREPARE_THRESHOLD must be a whole number"):
        load_settings(DATABASE_URL=PG, DB_PREPARE_THRESHOLD=value, **PROD)


def test_sqlite_gets_none_of_it():
    assert "server_side_binding" not in load_settings(**PROD)["DB"].get("OPTIONS", {})


@pytest.mark.django_db
def test_a_statement_run_six_times_on_a_connection_is_prepared_on_the_server():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements "
                "WHERE statement LIKE '%%accounts_user%%' AND statement LIKE '%%full_name%%'"
            )
            return cursor.fetchone()[0]

    before = prepared()
    for i in range(6):
        list(User.objects.filter(email=f"nobody-{i}@example.com").values("full_name"))
    assert prepared() == before + 1
