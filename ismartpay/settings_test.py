"""Settings for the test suite: production settings plus test-only keys and fast hashing.

Tests run with DEBUG off, like production. DATABASE_URL and REDIS_URL come from the environment
(the README's test command points them at PostgreSQL and Redis).
"""

import os

# Test-only secrets (never valid anywhere else), set before the real settings read them.
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault(
    "FIELD_ENCRYPTION_KEYS",
    "GP-rc4aQbmTBSmbjETIQWvAqx2kzMlWZdGE1NIC4DZ4=,Ho0aNqoT5M7XK3JRr2U1dC3Q6gA0mqPp5lGgK6Q9y5c=",
)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Tests talk to real PostgreSQL and Redis (row locks, concurrency), never a silent SQLite.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ismartpay")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

from .settings import *  # noqa: F403
from .settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only, tests only
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = None  # served from the finders; no collectstatic in tests
WHITENOISE_USE_FINDERS = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True  # tests that need a real worker start one themselves
CELERY_TASK_EAGER_PROPAGATES = True
