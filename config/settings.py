"""Observa settings: one file, configured by environment variables.

With no environment at all this runs on a laptop: SQLite in the project folder,
Celery tasks executed in-process, e-mail printed on the console. Production sets
DJANGO_DEBUG=false and then must provide a real secret key and allowed hosts.
See README.md ("Configuration") for every variable.
"""

from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)

_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_secret("DJANGO_SECRET_KEY") or (_DEV_SECRET if DEBUG else "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

if not DEBUG:
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is false: set DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) to a random "
            "string of at least 32 characters."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_DEBUG is false: set DJANGO_ALLOWED_HOSTS (comma-separated).")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "crispy_forms",
    "crispy_bootstrap5",
    "missions",
    "polling",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "missions.middleware.TimeZoneResetMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.CSPMiddleware",
    "config.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "missions.middleware.SessionIdleTimeoutMiddleware",
    "missions.accounts.security.SecondFactorRequiredMiddleware",
    "missions.accounts.language.UserLanguageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Database: PostgreSQL through DATABASE_URL, a SQLite file otherwise.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    from config.dburl import parse_database_url

    DATABASES = {"default": parse_database_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The statements of the filing's hot path are prepared on PostgreSQL (config/db.py); false for a
# connection pooler that cannot follow prepared statements (PgBouncer in transaction mode before 1.21).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if DATABASE_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"].endswith(".postgresql"):
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 0)

# Cache: Redis when REDIS_URL is set (shared by every web process: rate limits
# must be), local memory otherwise.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "observa"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "missions.User"
# Django's and allauth's backends, loading a session's user with a prepared statement (missions/accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "missions.accounts.backends.ModelBackend",
    "missions.accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "missions:list"

# django-allauth: e-mail login, no open sign-up (people join by invitation).
ACCOUNT_ADAPTER = "missions.accounts.adapters.InvitationOnlyAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("ACCOUNT_REAUTHENTICATION_TIMEOUT", 300)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# Security keys need HTTPS; plain http only on a laptop (http://localhost).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_ADAPTER = "missions.accounts.adapters.MissionMFAAdapter"
MFA_TOTP_ISSUER = "Observa"
MFA_FORMS = {"activate_totp": "missions.accounts.security.ActivateTOTPOnceForm"}
# allauth refuses an authenticator to an address not verified (against someone signing up with another's
# address); nobody signs up here, and a head of mission made in the admin must not be stuck.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# Ours, not allauth's: secretariat, heads of mission and staff must use an authenticator app
# (missions/accounts/security.py sends them to set one up before anything else).
MFA_REQUIRED_FOR_SETUP_ROLES = env_bool("MFA_REQUIRED_FOR_SETUP_ROLES", True)
# Wrong passwords (and wrong second-factor codes) for one address: 5 in 5 minutes, then wait;
# 15 in an hour, then refused for the hour, unless the password is reset. 10 a minute from one address.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key,15/h/key"}
# Behind the HTTPS proxy, REMOTE_ADDR is the proxy's: the per-address login limits and the sessions page
# take the client's address from X-Forwarded-For, as added by this many proxies (0: no proxy).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
USERSESSIONS_ADAPTER = "missions.accounts.adapters.AuditedUserSessionsAdapter"
# Sessions are recorded at login; their "last seen" is refreshed by missions.middleware, not on every request.
USERSESSIONS_TRACK_ACTIVITY = False

INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7)

# Logged out after SESSION_IDLE_TIMEOUT seconds without a request (missions/middleware.py), which
# saves the session only now and then, not on every request. Sessions are read from Redis when there is
# one, with the database behind it.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 8 * 3600)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ENGINE = "django.contrib.sessions.backends." + ("cached_db" if REDIS_URL else "db")

# E-mail: console by default, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Observa <noreply@localhost>")

# Internationalisation: every user-facing string goes through gettext; the catalogs are in locale/ (compiled
# by `make run`, `make test` and the image's build), the vocabulary of each in docs/glossary/.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
# Each language is named in its own words in the language menu (templates/_language_menu.html).
LANGUAGES = [
    ("en", _("English")),
    ("ru", _("Russian")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
    ("pt", _("Portuguese")),
    ("tr", _("Turkish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates with the month as a word in every language, never 02/07/2024 (config/formats/).
FORMAT_MODULE_PATH = ["config.formats"]
# A language without a module of its own there writes dates the English way, the month as a word.
DATE_FORMAT = SHORT_DATE_FORMAT = "j F Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Exports (personal data): outside MEDIA_ROOT, served only through an access-checked view.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
STATION_IMPORT_MAX_BYTES = env_int("STATION_IMPORT_MAX_BYTES", 100 * 1024 * 1024)
# The other uploads' limits (bytes); each form names its limit when it refuses a file.
VISIT_IMPORT_MAX_BYTES = env_int("VISIT_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
CHECKLIST_IMPORT_MAX_BYTES = env_int("CHECKLIST_IMPORT_MAX_BYTES", 5 * 1024 * 1024)

# Serve static files straight from the app folders when collectstatic has not run (laptop, tests).
WHITENOISE_USE_FINDERS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: Redis when CELERY_BROKER_URL is set, in-process otherwise.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 20)

# The statement. OBSERVA_PUBLIC_URL is where the public reaches this app ("https://observe.example.org"):
# the verification link and QR code printed on a signed PDF use it, and a signed PDF keeps them for good.
# Left empty (a laptop), the address the approving request came in on is used instead.
OBSERVA_PUBLIC_URL = env_str("OBSERVA_PUBLIC_URL").strip().rstrip("/")
if OBSERVA_PUBLIC_URL and not OBSERVA_PUBLIC_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"OBSERVA_PUBLIC_URL must start with https://, not {OBSERVA_PUBLIC_URL!r}")
STATEMENT_RENDER_TIMEOUT = env_int("STATEMENT_RENDER_TIMEOUT", 300)  # seconds one PDF render may take
STATEMENT_RENDER_STALE_SECONDS = env_int("STATEMENT_RENDER_STALE_SECONDS", 600)  # a running render is stuck
STATEMENT_RENDER_REQUEUE_SECONDS = env_int("STATEMENT_RENDER_REQUEUE_SECONDS", 300)  # a queued one is resent
STATEMENT_RENDER_SWEEP_SECONDS = env_int("STATEMENT_RENDER_SWEEP_SECONDS", 120)  # how often beat sweeps

# Security. Production (DEBUG off) gets HTTPS-only cookies and HSTS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4): every script and style comes from our own origin,
# nothing inline. Data for scripts travels in data- attributes or json_script blocks.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
    },
}

# One JSON object per line on stderr, secrets redacted (config/logging.py); Celery uses it too.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "config.logging.RedactSecretsFilter"}},
    "formatters": {"json": {"()": "config.logging.JsonLineFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces Django's own handlers (plain text on the console in debug, mail to ADMINS).
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": "INFO"},
        "django.security": {"level": "INFO"},
        "celery": {"level": "INFO"},
    },
}
