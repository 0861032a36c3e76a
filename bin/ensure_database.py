"""Create the PostgreSQL database named by DATABASE_URL if it does not exist yet (bin/test).

Django's migration checks connect to it; pytest itself uses a separate test_<name> database.
"""

import os
import sys

import environ
import psycopg
from psycopg import sql

config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
if config["ENGINE"] != "django.db.backends.postgresql":
    sys.exit(0)
params = {
    "host": config.get("HOST") or "127.0.0.1",
    "port": config.get("PORT") or 5432,
    "user": config.get("USER") or "postgres",
    "password": config.get("PASSWORD") or None,
}
with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
    if exists.fetchone() is None:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
