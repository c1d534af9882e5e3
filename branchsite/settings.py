"""Settings for branchsite, read from environment variables only.

Two running modes (see README):
- embedded default: no DATABASE_URL / REDIS_URL -> SQLite file, Celery eager, console e-mail;
- production: PostgreSQL, Celery worker + beat on Redis, SMTP, whitenoise.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# A key that is public (it is in this file) and so only fit for a laptop demo or tests.
DEV_SECRET_KEY = "dev-only-insecure-key-branchsite-do-not-use-in-production"  # noqa: S105

# DEBUG is off unless asked for: `make run` asks for it, production never does.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a private random value when DJANGO_DEBUG is off."
    )
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
# Behind a TLS-terminating proxy the app sees plain HTTP; these make cookies and redirects right.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and monitors probe /healthz over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# /healthz tells anonymous callers "ok" or "error" only; a monitor that sends this token
# (Authorization: Bearer ...) also gets which check failed. Unset: only staff see details.
BRANCHSITE_HEALTHZ_TOKEN = env("BRANCHSITE_HEALTHZ_TOKEN", default="")
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy on every page (django-csp): scripts and styles only from
# our own files (no inline <script>, style="" or on...= handlers, no eval), images from our
# files and Bootstrap's data: URIs, nothing may frame a page, forms post only back to the site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "treebeard",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "members",
    "education",
    "appraisal",
    "branchsite",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A user who just wrote reads from the primary, never from a lagging replica.
    "members.dbrouting.PrimaryAfterWriteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "branchsite.middleware.SiteLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "branchsite.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the outcome of authentication (django-axes docs).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "branchsite.urls"
WSGI_APPLICATION = "branchsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # Cached per language, fixed texts written in (branchsite.template_loader).
            "loaders": [
                (
                    "branchsite.template_loader.Loader",
                    [
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "branchsite.context_processors.navigation",
            ],
            # {% url %} with argument-free URLs reversed once per process (the menus').
            "builtins": ["branchsite.url_tag"],
        },
    }
]

# Embedded default: an SQLite file beside the code. Production: DATABASE_URL=postgres://...
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if "postgresql" in DATABASES["default"]["ENGINE"] and env.bool("DJANGO_DB_PREPARE", default=True):
    # Values sent apart from the SQL, and a statement PostgreSQL has seen twice on a connection
    # is prepared: planning the pages' reads cost the database more than running them.
    # branchsite.postgresql: Django's backend, sending a statement with more values than the
    # protocol binds (65 535) with its values written in, as without this setting.
    DATABASES["default"]["ENGINE"] = "branchsite.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 2}
    )
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the dev server read while a request writes; the timeout rides out short locks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
# Past one machine: a PostgreSQL streaming replica for reads that tolerate a few seconds of
# lag (views and blocks marked members.dbrouting.reads_from_replica); a user's own reads stay
# on the primary for REPLICA_PIN_SECONDS after they write. Unset: one database.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "branchsite.postgresql":
        DATABASES["replica"]["ENGINE"] = "branchsite.postgresql"
        DATABASES["replica"].setdefault("OPTIONS", {}).update(DATABASES["default"]["OPTIONS"])
    # Tests read the test database through it (a mirror of default, not a second database).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["members.dbrouting.ReplicaRouter"]
REPLICA_PIN_SECONDS = env.int("DJANGO_REPLICA_PIN_SECONDS", default=10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = "postgresql" in DATABASES["default"]["ENGINE"]

AUTHENTICATION_BACKENDS = [
    # Throttles failed logins before any other backend is asked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed-login throttling: 5 failures per username+IP lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Second factor (branchsite/second_factor.py): which roles must use an authenticator app,
# comma-separated from admin (staff and superusers: the Django admin), case_handler
# (protection cases) and organizer. Production default: admin and case handlers; with
# DEBUG on, nobody (anyone may still turn it on for themselves).
BRANCHSITE_2FA_REQUIRED_FOR = frozenset(
    r.strip()
    for r in env(
        "BRANCHSITE_2FA_REQUIRED_FOR", default="" if DEBUG else "admin,case_handler"
    ).split(",")
    if r.strip()
)
if BRANCHSITE_2FA_REQUIRED_FOR - {"admin", "case_handler", "organizer"}:
    raise ImproperlyConfigured(
        "BRANCHSITE_2FA_REQUIRED_FOR takes admin, case_handler and organizer, comma-separated."
    )
OTP_TOTP_ISSUER = "branchsite"

AXES_CLIENT_IP_CALLABLE = "branchsite.throttle.client_ip"
# Limits that axes does not cover (branchsite/throttle.py), as (attempts, window in seconds),
# counted in the database: failed logins from one address (any accounts) and against one
# account (from any addresses); password-reset requests from one address and for one e-mail
# address. One office behind one NAT address shares the per-address limits: keep them high.
BRANCHSITE_THROTTLES = {
    "login_ip": (env.int("BRANCHSITE_LOGIN_FAILURES_PER_IP", default=50), 15 * 60),
    "login_account": (env.int("BRANCHSITE_LOGIN_FAILURES_PER_ACCOUNT", default=20), 15 * 60),
    "reset_ip": (env.int("BRANCHSITE_RESETS_PER_IP", default=20), 60 * 60),
    "reset_account": (env.int("BRANCHSITE_RESETS_PER_ADDRESS", default=3), 60 * 60),
}
# How many reverse proxies in front of the app append to X-Forwarded-For (0: none, the
# client's address is REMOTE_ADDR). Per-address limits and axes count by the address this gives.
BRANCHSITE_TRUSTED_PROXIES = env.int("DJANGO_TRUSTED_PROXIES", default=0)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# BRANCHSITE_LOCALE_DIR lets the CI check run makemessages into a scratch copy.
LOCALE_PATHS = [Path(env("BRANCHSITE_LOCALE_DIR", default=str(BASE_DIR / "locale")))]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves hashed, compressed files collected by `collectstatic`; development and
# tests serve straight from static/ (whitenoise finds them through the finders).
STATIC_MANIFEST = env.bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST
# Uploaded files (session materials, evidence) live outside the static path and are only ever
# served by views that check permissions first; MEDIA_URL is deliberately not routed.
MEDIA_ROOT = Path(env("BRANCHSITE_MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media-not-served/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: console by default; EMAIL_URL=smtp://user:pass@host:587/?tls=True in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="branchsite <noreply@branchsite.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: with REDIS_URL unset tasks run eagerly in-process (the embedded default).
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    # `make test` runs the suite in parallel (pytest-xdist): each worker has its own test
    # database, and here its own Redis database after the given one, so that one worker's
    # queues, purges and cache are never another's.
    _redis = urlsplit(REDIS_URL)
    _redis_db = int(_redis.path.strip("/") or 0) + 1 + int(os.environ["PYTEST_XDIST_WORKER"][2:])
    REDIS_URL = urlunsplit(_redis._replace(path=f"/{_redis_db}"))
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every task is stopped after CELERY_TASK_TIME_LIMIT seconds (soft limit a little earlier, so
# a task can put back what it has not done). Tasks are acknowledged late, so a task whose
# worker died is delivered again by Redis after the visibility timeout: it must be longer
# than the hard limit (else a task still running would be delivered twice), and short enough
# that a crash is recovered within minutes, not an hour.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT * 19 // 20
CELERY_VISIBILITY_TIMEOUT = env.int(
    "CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 300
)
# A Redis that is down or hung must not hold a request: connect and read timeouts well under
# a second (the cache, the broker, the result backend), and few retries when publishing. A
# task that cannot be queued is logged and picked up by a periodic sweep
# (members.tasks_queue).
REDIS_CONNECT_TIMEOUT = 0.5
REDIS_SOCKET_TIMEOUT = 0.5
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# An e-mail claim older than this was left by a dead sender and is released to be sent again
# (members.services.pending_emails_send); longer than any sender may run.
BRANCHSITE_EMAIL_CLAIM_TIMEOUT = env.int(
    "BRANCHSITE_EMAIL_CLAIM_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 60
)
if not CELERY_VISIBILITY_TIMEOUT > CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT.")
if not BRANCHSITE_EMAIL_CLAIM_TIMEOUT > CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("BRANCHSITE_EMAIL_CLAIM_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT.")

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Values belong to one database: two sites sharing a Redis (a staging copy, a
            # benchmark) never read each other's.
            "KEY_PREFIX": str(DATABASES["default"].get("NAME", "")),
            # Down or hung: fail fast. Nothing a page needs is only in the cache.
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True

# Demo logins share one password (README); seed_demo reads it.
DEMO_PASSWORD = env("DEMO_PASSWORD", default="branchsite-demo")

SITE_NAME = _("branchsite")

# Channels beyond the inbox and e-mail (members/channels): every one is off until configured,
# so an intranet without internet keeps working with the inbox and e-mail.
# A branch's robot address must start with one of these prefixes: a branch setting must not
# make the server POST anywhere it likes. Empty: the service is not offered. An intranet that
# reaches the services through a forwarding proxy lists the proxy's addresses instead.
BRANCHSITE_CHANNEL_URL_PREFIXES = {
    "wecom": env.list(
        "BRANCHSITE_WECOM_URL_PREFIXES",
        default=["https://qyapi.weixin.qq.com/cgi-bin/webhook/send?"],
    ),
    "dingtalk": env.list(
        "BRANCHSITE_DINGTALK_URL_PREFIXES", default=["https://oapi.dingtalk.com/robot/send?"]
    ),
    "feishu": env.list(
        "BRANCHSITE_FEISHU_URL_PREFIXES",
        default=[
            "https://open.feishu.cn/open-apis/bot/v2/hook/",
            "https://open.larksuite.com/open-apis/bot/v2/hook/",
        ],
    ),
    # The generic signed webhook (a self-hosted messenger): off until its addresses are listed.
    "webhook": env.list("BRANCHSITE_WEBHOOK_URL_PREFIXES", default=[]),
}
# Short, so that an unreachable service costs a worker seconds: (TCP + TLS) and each read.
BRANCHSITE_CHANNEL_CONNECT_TIMEOUT = env.float("BRANCHSITE_CHANNEL_CONNECT_TIMEOUT", default=3.0)
BRANCHSITE_CHANNEL_READ_TIMEOUT = env.float("BRANCHSITE_CHANNEL_READ_TIMEOUT", default=8.0)
# The SMS gateway (members/channels/sms.py): off while the URL or the template id is empty.
BRANCHSITE_SMS_URL = env("BRANCHSITE_SMS_URL", default="")
BRANCHSITE_SMS_TEMPLATE_ID = env("BRANCHSITE_SMS_TEMPLATE_ID", default="")
BRANCHSITE_SMS_KEY_ID = env("BRANCHSITE_SMS_KEY_ID", default="")
BRANCHSITE_SMS_SECRET = env("BRANCHSITE_SMS_SECRET", default="")
BRANCHSITE_SMS_PER_MINUTE = env.int("BRANCHSITE_SMS_PER_MINUTE", default=60)
# The site's public address (https://branch.example.org): messages outside the site link back
# to it; empty, they carry no link.
BRANCHSITE_BASE_URL = env("BRANCHSITE_BASE_URL", default="").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # In eager mode every task would print a trace line into the dev server's output.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
    },
}
