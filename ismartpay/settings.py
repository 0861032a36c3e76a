"""iSmartPay settings, read from the environment with django-environ.

Every variable and its default is listed in the README's configuration table (the contract in
shared/docs/contracts.md). With nothing set, the portal runs on embedded parts: an SQLite
database and a Celery broker kept in an SQLite file, so web, worker and beat need no server.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# Embedded state (SQLite files, beat's schedule) lives here, never in the package.
VAR_DIR = Path(environ.Env().str("ISMARTPAY_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")


def _count(
    name: str, default: int, *, minimum: int = 0, maximum: int | None = None, also: str = ""
) -> int:
    """A whole number from the environment (`minimum` to `maximum`), or a refusal to start
    that names the variable: env.int would let "-3" through and say only "invalid literal"."""
    raw = env.str(name, default=str(default)).strip()
    if (
        not (raw.isascii() and raw.isdigit())
        or int(raw) < minimum
        or (maximum is not None and int(raw) > maximum)
    ):
        bounds = f"{minimum} to {maximum:,}" if maximum is not None else f"{minimum} or more"
        raise ImproperlyConfigured(f"{name} must be a whole number ({bounds}){also}, not {raw!r}.")
    return int(raw)


# Development-only secrets: usable with DEBUG on, refused with DEBUG off (see below).
DEV_SECRET_KEY = "django-insecure-ismartpay-development-key-never-use-in-production"  # noqa: S105
DEV_FIELD_ENCRYPTION_KEY = "s2pgnCx63qhf9q7rCwM6qne3jFdkIAO7eRXOrJ46pik="

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
# Comma list of Fernet keys: the first encrypts, all decrypt, so keys can rotate.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[DEV_FIELD_ENCRYPTION_KEY])

if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
if not DEBUG and DEV_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off.")
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key."
        ) from exc

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="sandbox")
# Page benchmarks only (bench/README.md): serve the bare ceiling view under /bench/.
BENCH_CEILING = env.bool("BENCH_CEILING", default=False)

INSTALLED_APPS = [
    "accounts.admin_apps.PortalAdminConfig",  # django.contrib.admin with the OTP admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "allauth",
    "allauth.account",
    "django_otp",
    "django_otp_webauthn",  # passkeys (fingerprint / face) as a django-otp device
    "accounts",
    "loans",
    "payments",
    "documents",  # statements, paperless consent, paid-in-full and title (issue 14)
    "helpcentre",  # the searchable FAQ, edited in the admin (issue 14)
]

MIDDLEWARE = [
    "ismartpay.core.request_log.RequestLogMiddleware",
    "ismartpay.core.middleware.CacheUnavailableMiddleware",  # Redis down: 503, never a 500
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SecondFactorMiddleware",  # django-otp's, without a decrypt per request
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.AccountSecurityMiddleware",  # second-factor gate, session lifetimes
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ismartpay.core.middleware.NoStoreWhenSignedInMiddleware",
    "ismartpay.core.middleware.NotFoundMiddleware",  # a selector's NotFound -> 404 page
]

ROOT_URLCONF = "ismartpay.urls"
WSGI_APPLICATION = "ismartpay.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["ismartpay.core.templatetags.ui"],
        },
    },
    {
        # Markup repeated per row, rendered by `{% jinja %}` (ismartpay/core/jinja.py). The
        # form widgets' Jinja2 is another engine (FORM_RENDERER below), not this one.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",  # the `{% jinja %}` tag asks engines["jinja2"]
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "ismartpay.core.jinja.environment"},
    },
]
# Widgets through Jinja2 (Django ships their templates for it), Django templates as the fallback.
FORM_RENDERER = "ismartpay.core.form_renderer.JinjaFirstRenderer"


# --- Data ---
def _postgres_statement_options() -> dict:
    """Server-side parameters and psycopg's automatic prepared statements (issue 15 goal 1).

    Django's default binds parameters client-side, so PostgreSQL parses and plans every
    statement anew: the dashboard's loan query plans in 1.4 ms and runs in 0.3 ms. Bound
    server-side, a statement a connection has run `DB_PREPARE_THRESHOLD` times (psycopg's
    default, 5) is prepared and planned once per connection (CONN_MAX_AGE keeps connections).
    `DB_PREPARE_THRESHOLD=off` keeps server-side binding without prepared statements: for a
    PgBouncer in transaction pooling before 1.21, or one without `max_prepared_statements`
    (docs/scaling.md). Bound server-side, a statement carries at most 65,535 parameters (the
    protocol's limit): a list that grows with the book goes as one array parameter
    (`ismartpay.core.arrays.any_of`), never as `__in` with a placeholder per value."""
    if env.str("DB_PREPARE_THRESHOLD", default="5").strip().lower() in ("", "off", "none"):
        return {"server_side_binding": True, "prepare_threshold": None}
    threshold = _count("DB_PREPARE_THRESHOLD", 5, also=" or 'off'")
    return {"server_side_binding": True, "prepare_threshold": threshold}


DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker write from separate processes: WAL plus IMMEDIATE transactions make
    # SQLite wait for the lock instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Django's PostgreSQL backend plus the protocol's parameter limit (ismartpay/core/postgresql).
    DATABASES["default"]["ENGINE"] = "ismartpay.core.postgresql"
    # Persistent connections: Celery closes them around tasks unless reused (see README).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).update(_postgres_statement_options())
# Optional read replica (ismartpay/core/replica.py, docs/scaling.md): off unless set; only
# reads inside `replica_reads()` go there. Tests read the primary (MIRROR).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "ENGINE": DATABASES["default"]["ENGINE"],
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["ismartpay.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ismartpay",
            # Seconds. A cache that cannot answer in 1 s is down: the page says "try again in
            # a minute" (ismartpay.core.middleware.CacheUnavailableMiddleware) instead of hanging.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    # Embedded mode runs one web process, so a per-process cache holds rate limits correctly.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery (settings namespace CELERY_) ---
CELERY_BROKER_URL = REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is delivered again; tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log JSON lines through LOGGING below
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
if REDIS_URL:
    # Longer than the longest task, so Redis does not redeliver a task still running.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
# The one place the nightly schedule lives; the jobs register here as they are built.
CELERY_BEAT_SCHEDULE: dict = {
    # Each lender time zone's nightly run starts after 01:00 local (payments/tasks.py).
    "run-daily-due": {"task": "jobs.run_daily_due", "schedule": 15 * 60.0},
    # The one recovery sweep (payments/recovery.py): killed runs, dead claims, stuck payments.
    "recover-stuck-payments": {"task": "payments.tasks.recover_stuck_payments", "schedule": 60.0},
}
PAYMENT_SANDBOX_LATENCY_MS = env.int("PAYMENT_SANDBOX_LATENCY_MS", default=0)
# The nightly autopay run (payments/autopay/batch.py, pipeline.py): debits per chunk (one
# task, one claim) and per part (a fixed number of statements; one part's database work
# overlaps another's processor calls); at most this many processor calls a second per process
# (0: no limit); requests per call of a processor's batch API where it has one (0: one call
# per charge); processor calls in flight per chunk (0: 16 on PostgreSQL, 1 on SQLite, which
# takes one writer at a time). Which values for which processor: README, "Performance".
AUTOPAY_CHARGE_CONCURRENCY = _count("AUTOPAY_CHARGE_CONCURRENCY", 0)
# At most 10,000 debits a chunk, part or call: a chunk's lists go into statements of at most
# 65,535 parameters (ismartpay/core/postgresql), and a chunk is one task and one claim.
AUTOPAY_CHUNK_SIZE = _count("AUTOPAY_CHUNK_SIZE", 500, minimum=1, maximum=10_000)
AUTOPAY_PART_SIZE = _count("AUTOPAY_PART_SIZE", 100, minimum=1, maximum=10_000)
AUTOPAY_PROCESSOR_RATE_PER_SECOND = env.float("AUTOPAY_PROCESSOR_RATE_PER_SECOND", default=0)
AUTOPAY_PROCESSOR_BATCH = _count("AUTOPAY_PROCESSOR_BATCH", 0, maximum=10_000)
# Chunks an in-process run (manage.py run_daily) charges at once, each on a thread and database
# connection of its own (payments/autopay/chunk_threads.py; 0: 2 on PostgreSQL, 1 on SQLite).
# Celery's chunk tasks are not affected: there a worker's processes do this.
AUTOPAY_CHUNK_THREADS = _count("AUTOPAY_CHUNK_THREADS", 0, maximum=64)

# --- Email ---
EMAIL_TIMEOUT = 30  # seconds; shorter than a notice's claim lease (payments/notifications.py)
_email = env.email_url("EMAIL_URL", default="consolemail://")
if _email["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
    # filemail:///var/mail is the folder /var/mail, as in a file:/// URL; django-environ drops
    # the leading slash, which would write under whatever folder the process started in.
    _email["EMAIL_FILE_PATH"] = "/" + urlsplit(env.str("EMAIL_URL")).path.lstrip("/")
vars().update(_email)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="iSmartPay <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Accounts ---
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"
# NIST SP 800-63B: length and a common-password list, no composition rules.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False  # a reset never signs in, let alone past the 2nd factor
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env.str(
    "ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http" if DEBUG else "https"
)  # bin/run: http on localhost
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupDetailsForm"
# Sign-up does the same work for a taken email as for a new one (no enumeration by timing).
ACCOUNT_FORMS = {"signup": "accounts.signup.SignupForm", "login": "accounts.signup.LoginForm"}
# Confirming the email in the browser that signed up signs in; elsewhere, sign-in has the
# email filled (accounts/adapters.py). Issue 11, item 7.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True  # one address; a new one replaces it only once verified
ACCOUNT_EMAIL_NOTIFICATIONS = True  # password changed/reset, email changed
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True  # reset for an unknown address answers the same way
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 5 * 60  # seconds: email, 2nd factor, bank, autopay changes
ACCOUNT_EMAIL_SUBJECT_PREFIX = "iSmartPay: "
# Proxies in front of gunicorn that append to X-Forwarded-For (1 behind the TLS proxy): every
# per-IP limit, allauth's and the portal's (ismartpay/core/client_ip.py), counts the visitor's
# own address. 0 ignores the header (it could be forged).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
# allauth's limits plus ours; the 6th wrong password for one email within 5 minutes is refused.
# Per IP: 30 failures in 5 minutes, so one person's typos never lock out their household.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "30/5m/ip,5/5m/key",
    # Security-code tries per IP and per device (key): app-code guesses never block a recovery
    # code (issue 10, item 7); device throttling adds the waits.
    "otp_verify": "20/m/ip,10/5m/key",
}
PASSWORD_RESET_TIMEOUT = 60 * 60  # seconds: reset links expire after 1 hour (and work once)
# django-otp: after 5 wrong codes, wait 1 s, 2 s, 4 s, … before the next try, per device, at
# most OTP_THROTTLE_MAX_DELAY (ours: django-otp's own doubling has no practical cap).
OTP_THROTTLE_FACTOR = 1
OTP_THROTTLE_MAX_DELAY = 15 * 60  # seconds
OTP_TOTP_ISSUER = "iSmartPay"
# Product decision (docs/accounts.md): off by default, so enrolling stays optional for
# borrowers; turn on to make payments wait until a second factor is set up.
ACCOUNTS_REQUIRE_SECOND_FACTOR_FOR_PAYMENTS = env.bool(
    "ACCOUNTS_REQUIRE_SECOND_FACTOR_FOR_PAYMENTS", default=False
)
ACCOUNTS_REMEMBER_DEVICE_DAYS = 30
# Passkeys: a second step by fingerprint / face (not yet a password replacement).
OTP_WEBAUTHN_RP_NAME = "iSmartPay"
OTP_WEBAUTHN_RP_ID = env.str("OTP_WEBAUTHN_RP_ID", default=urlsplit(SITE_URL).hostname)
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list("OTP_WEBAUTHN_ALLOWED_ORIGINS", default=[SITE_URL])
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# --- Sessions and security headers ---
SESSION_COOKIE_AGE = 30 * 60  # idle timeout: renewed at most once a minute (accounts/sessions.py)
ACCOUNTS_SESSION_ABSOLUTE_AGE = 12 * 60 * 60  # seconds after sign-in, however active
SESSION_SAVE_EVERY_REQUEST = False  # accounts.sessions.session_touch_if_due saves when due
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- Internationalisation ---
LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"  # the default lender time zone; datetimes are stored in UTC
USE_I18N = True
USE_TZ = True

# --- Static files ---
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Logging: one JSON line per event, secrets redacted ---
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "ismartpay.core.logging.RedactSecretsFilter"}},
    "formatters": {"json": {"()": "ismartpay.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Our request log replaces Django's own access lines.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}
