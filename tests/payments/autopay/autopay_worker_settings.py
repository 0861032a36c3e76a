"""Settings for the Celery worker the live-worker test starts: the test settings (DATABASE_URL
and REDIS_URL come from the environment the test passes: the test's own database and a Redis
db index), a real broker (not eager), and few charge threads per chunk."""

import os

from ismartpay.settings_test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_IMPORTS = ["payments.autopay.tasks"]
AUTOPAY_CHARGE_CONCURRENCY = int(os.environ.get("AUTOPAY_CHARGE_CONCURRENCY", "4"))
AUTOPAY_CHUNK_SIZE = 100  # 300 plans -> 3 chunk tasks shared by the worker's 2 processes
