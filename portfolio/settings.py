"""The one settings module. Everything that differs between machines comes
from the environment; see README.md, "Configuration"."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv
from whitenoise.compress import Compressor

from portfolio.env import env_bool, env_int, env_list, env_str
from portfolio.logging_config import admins_from_env, build_logging

BASE_DIR = Path(__file__).resolve().parent.parent

# A development machine keeps its settings in .env (./dev writes one); the real
# environment always wins. ENV_FILE= (empty) reads no file, as the tests do.
_env_file = env_str("ENV_FILE", str(BASE_DIR / ".env"))
if _env_file:
    load_dotenv(_env_file, override=False)

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the app will not start without one: "
            'set SECRET_KEY to a long random string (python -c "import secrets; '
            'print(secrets.token_urlsafe(50))"), or set DEBUG=true on a development machine.'
        )
    SECRET_KEY = "development-only-key-never-used-with-debug-off"
# Former keys, still accepted after SECRET_KEY changes (sessions, password links, queued emails) until they run out.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS and not DEBUG:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. With DEBUG off the app will not start without it: "
        "set ALLOWED_HOSTS to the comma-separated host names the site is served on."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "portfolio.views.csrf_failure"

SITE_NAME = env_str("SITE_NAME", "NVQ e-portfolio")
# Where emailed links point; emails are sent outside any request, so it cannot be guessed.
SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "audit",
    "units",
    "people",
    "assessments",
    "exports",
    "quality",
    "notifications",
    "django_tasks",
    "submissions",
    "django_tasks_db",
    "portfolio.apps.PortfolioConfig",
]

MIDDLEWARE = [
    # /healthz and /readyz answer load balancers before the host check and HTTPS redirect (portfolio/health.py).
    "portfolio.health.HealthCheckMiddleware",
    # One log line per request, and its X-Request-ID (portfolio/logging_config.py).
    "portfolio.logging_config.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portfolio.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "quality.middleware.EVPageLogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portfolio.middleware.ContentSecurityPolicyMiddleware",
    # Axes must come last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portfolio.urls"

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
                "people.context_processors.roles",
            ],
            # {% once_token %} in every form that creates something: see submissions/once.py.
            "builtins": ["submissions.once"],
        },
    },
]

WSGI_APPLICATION = "portfolio.wsgi.application"

# SQLite in the project folder unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Each request reuses its worker's connection for a minute rather than opening one (on PostgreSQL a
        # new connection costs more than the unit page's queries); a dropped one is noticed before use.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, with a health check that sends nothing (portfolio/postgresql/base.py says why).
    DATABASES["default"]["ENGINE"] = "portfolio.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"

# The cache holds the verification page's miss counter (a rate limit) and the like. With REDIS_URL set it is Redis,
# shared by every web process and machine; without it each process keeps its own, so three gunicorn workers let three
# times the limit through (README, "Configuration").
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Several sites may share one Redis (each its own database number is better still).
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "portfolio"),
        }
    }
    # Every signed-in request reads its session: from the shared cache, the database only on a miss. Writes go to
    # both, and signing out deletes from both, so every process and machine sees it at once. Not with a cache of
    # each process's own, where a session signed out in one worker would live on in another's.
    SESSION_ENGINE = "portfolio.sessions.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "portfolio.sessions.db"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out sign-in is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's, reading the signed-in user by SQL built once. Sessions signed in before it was named here carry
    # Django's backend path and are asked to sign in again once.
    "people.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_DAYS", 3) * 24 * 3600

# Sign-in throttling: five failures from one user and address, then a 15-minute wait.
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
# Sign-in ignores case and spaces in the email, so the failure count must too.
AXES_USERNAME_CALLABLE = "people.signin.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0) or None

# en-GB wording and dates; times stored in UTC and shown in London time.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English (UK)")]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["portfolio.formats"]

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "var" / "media")
# Uploaded files are only ever served through views that check access. Nothing
# serves this URL in production; Django merely insists that it is set.
MEDIA_URL = "/media-is-never-served-directly/"
# Evidence, thumbnails, stored record PDFs and exports: on the file system (MEDIA_ROOT, which every web server and
# worker must share), or with STORAGE_BACKEND=s3 in a private S3-compatible bucket. The code reaches them only through
# the storage API, and hands them out only from views that check access first (portfolio/storage.py).
STORAGE_BACKEND = (env_str("STORAGE_BACKEND") or "filesystem").strip().lower()
if STORAGE_BACKEND == "filesystem":
    _files = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif STORAGE_BACKEND == "s3":
    if not env_str("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME, the bucket's name.")
    _endpoint = env_str("AWS_S3_ENDPOINT_URL") or None
    _s3 = {
        "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": _endpoint,
        "region_name": env_str("AWS_S3_REGION_NAME") or None,
        # Objects are private; their plain URLs answer nobody. A signed URL is only ever made by a download view,
        # after its access check, for that one request (S3_REDIRECT_BYTES), never by a template asking for .url.
        "default_acl": "private",
        "querystring_auth": False,
        # Never replace a stored file with another of the same name: evidence and records are kept as they were.
        "file_overwrite": False,
        # Large files are read into a temporary file on disk, not memory.
        "max_memory_size": 5 * 1024 * 1024,
        # MinIO and other local servers answer on the path, not a bucket host name.
        "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE") or ("path" if _endpoint else None),
    }
    # Without keys boto3 finds its own credentials (an instance role, ~/.aws); with them, these.
    if env_str("AWS_ACCESS_KEY_ID"):
        _s3["access_key"] = env_str("AWS_ACCESS_KEY_ID")
        _s3["secret_key"] = env_str("AWS_SECRET_ACCESS_KEY")
    _files = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3}
else:
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be filesystem or s3, not {STORAGE_BACKEND!r}.")
# With files in a bucket, a download larger than this is answered, after its access check, with a redirect to a
# signed URL that works for S3_SIGNED_URL_SECONDS, so the web worker is not held for the whole transfer. 0: never.
S3_REDIRECT_BYTES = env_int("S3_REDIRECT_BYTES", 25_000_000)
S3_SIGNED_URL_SECONDS = env_int("S3_SIGNED_URL_SECONDS", 60)
STORAGES = {
    "default": _files,
    "staticfiles": {
        "BACKEND": env_str(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# The record PDFs' fonts (static/pdf/fonts/) are read from disk by the renderer, never sent to a browser: compressing
# them would only add half a minute to every collectstatic.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "ttf")

# Evidence files. Limits are per file, by kind, in megabytes (MB = 1,000,000 bytes, as phones show them).
EVIDENCE_MAX_MB = {
    "document": env_int("EVIDENCE_MAX_DOCUMENT_MB", 20),
    "image": env_int("EVIDENCE_MAX_IMAGE_MB", 20),
    "audio": env_int("EVIDENCE_MAX_AUDIO_MB", 100),
    "video": env_int("EVIDENCE_MAX_VIDEO_MB", 500),
}
EVIDENCE_MAX_FILES = env_int("EVIDENCE_MAX_FILES", 10)  # per upload
EVIDENCE_MAX_UPLOAD_MB = env_int("EVIDENCE_MAX_UPLOAD_MB", 600)  # all files in one upload together
# Pillow only warns at 89 million pixels; the project refuses well before that (a phone photo is ~12-50 MP).
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 60_000_000)
# Word and Excel files are ZIP archives: refuse ones that would unpack to something huge (a zip bomb).
OFFICE_MAX_UNPACKED_MB = env_int("OFFICE_MAX_UNPACKED_MB", 250)
OFFICE_MAX_ENTRIES = env_int("OFFICE_MAX_ENTRIES", 5000)
# Django refuses a request with more files than this before any view runs; the view's own, friendlier
# limit (EVIDENCE_MAX_FILES) is lower, so people see that one.
DATA_UPLOAD_MAX_NUMBER_FILES = max(100, EVIDENCE_MAX_FILES * 2)
# Files over this size go to a temporary file while uploading rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Witness testimony: how long the emailed confirmation link works.
WITNESS_LINK_DAYS = env_int("WITNESS_LINK_DAYS", 14)

# Unit record PDFs. The QR code on each record points at SITE_URL's verification page.
# Repeated unknown record codes from one address are refused for a while, on top of the codes' 60 random bits.
VERIFY_MISSES_PER_HOUR = env_int("VERIFY_MISSES_PER_HOUR", 30)

# Signed checkpoints of the record chains (`manage.py records_checkpoint`). The private key belongs only in the
# environment of the job that signs, never the web server's or the database; checking needs the public key.
RECORDS_SIGNING_KEY = env_str("RECORDS_SIGNING_KEY", "")
RECORDS_SIGNING_KEY_FILE = env_str("RECORDS_SIGNING_KEY_FILE", "")
RECORDS_PUBLIC_KEY = env_str("RECORDS_PUBLIC_KEY", "")
# With files in a bucket the site may run on several machines, so the log is kept there too by default: a local
# file would leave each machine with its own part of it.
CHECKPOINT_LOG = env_str("CHECKPOINT_LOG") or (
    "storage:checkpoints/" if STORAGE_BACKEND == "s3" else str(BASE_DIR / "var" / "checkpoints.log")
)
# The worker checks every record this often (`manage.py verify_records` does the same from cron).
RECORDS_VERIFY_HOURS = env_int("RECORDS_VERIFY_HOURS", 24)
# A learner's personal data is kept this many years after their last unit was certified, then anonymised by
# `manage.py records_anonymise` (README, "Retention and data protection"). Awarding bodies require at least three.
RECORDS_RETENTION_YEARS = env_int("RECORDS_RETENTION_YEARS", 3)
if RECORDS_RETENTION_YEARS < 3:
    raise ImproperlyConfigured(
        f"RECORDS_RETENTION_YEARS={RECORDS_RETENTION_YEARS} is too short: awarding bodies require a learner's "
        "records to be kept for at least 3 years after certification. Set 3 or more."
    )

# Background work (exports, record renders, emails) goes through Django's task API. The database backend needs no
# other service: run `manage.py db_worker` beside the web server (./dev start does). TASKS_BACKEND=rq queues in Redis
# (REDIS_URL) for RQ workers instead: `manage.py rqworker default --with-scheduler`.
TASKS_BACKEND = env_str("TASKS_BACKEND") or "database"
TASKS_BACKEND = {"database": "django_tasks_db.DatabaseBackend", "rq": "django_tasks_rq.RQBackend"}.get(
    TASKS_BACKEND.strip().lower(), TASKS_BACKEND
)
TASKS = {"default": {"BACKEND": TASKS_BACKEND, "QUEUES": ["default"]}}
if TASKS_BACKEND == "django_tasks_rq.RQBackend":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL, the Redis its queue is kept in.")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": env_int("RQ_TIMEOUT_SECONDS", 3600)}}
    # The worker runs each job as a django-tasks task (plain RQ jobs would call the task object itself).
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
# Emails are sent by the worker too, once the change they announce commits (notifications/tasks.py); the tests give
# them a backend of their own that sends at once, so each test need not run a worker to read its mail.
EMAIL_TASKS_BACKEND = "default"
# A task due this long ago that no worker has picked up is reported as delayed (by /readyz among others).
TASKS_DELAYED_MINUTES = env_int("TASKS_DELAYED_MINUTES", 10)
# Finished exports are kept this long, then removed (by the worker, and by `manage.py exports_prune`).
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 72)
# A cohort export asks for at most this many portfolios at once.
EXPORT_MAX_PORTFOLIOS = env_int("EXPORT_MAX_PORTFOLIOS", 2000)

# Email: over SMTP when a host is configured. Otherwise, in development, each message is kept as a file in
# EMAIL_FILE_PATH, which the debug-only page /dev/mail/ lists; with DEBUG off it is printed to the console.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or str(BASE_DIR / "var" / "mail")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "NVQ e-portfolio <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# A strict policy from the first page: no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
}

# Transport security: on by default whenever DEBUG is off.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)

# LOG_FORMAT=json writes one JSON object a line, for a log collector; plain is for people. Each request has its own
# line (by default with DEBUG off, where runserver's own lines are missing), each task run too; errors go to stderr.
LOG_FORMAT = (env_str("LOG_FORMAT") or "plain").strip().lower()
LOGGING = build_logging(
    log_format=LOG_FORMAT,
    level=env_str("LOG_LEVEL", "INFO"),
    requests=env_bool("LOG_REQUESTS", LOG_FORMAT == "json" or not DEBUG),
)
# Who is emailed each server error, with its traceback: ADMINS="Name <someone@college.example>, ..."
ADMINS = admins_from_env(env_str("ADMINS"))
