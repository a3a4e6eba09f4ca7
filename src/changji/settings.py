"""Django settings for the Changji platform: one project for the water, services and community apps.

Configuration comes from the environment so that one build runs as the demo, in CI and in
production:

* ``DATABASE_URL``  — defaults to SQLite in WAL mode under ``CHANGJI_DATA_DIR``; a
  ``postgres://`` URL selects PostgreSQL (psycopg 3). The same migrations serve both.
* ``CHANGJI_DATA_DIR`` — where the SQLite file, media (camera snapshots) and reports live.
* ``CHANGJI_ROOT_REGION`` — the GB/T 2260 code of the region this instance serves (default 652300,
  Changji prefecture); a county, a region or the nation runs its own instance with its own code.
* ``DJANGO_SECRET_KEY``, ``DJANGO_DEBUG``, ``DJANGO_ALLOWED_HOSTS`` — the usual (comma-separated hosts).
  ``changji serve`` (production, gunicorn) refuses to start without a key of its own and the hosts, or with DEBUG.

Production behind the TLS proxy (deploy/nginx-changji.conf, README "Running in production"):

* ``CHANGJI_CSRF_TRUSTED_ORIGINS`` — comma-separated origins (``https://water.example.gov.cn``) trusted for unsafe
  requests when the browser's origin is not the host the request names (a proxy that rewrites ``Host``).
* ``CHANGJI_SECURE_COOKIES=1`` — cookies marked Secure, and HSTS.
* ``CHANGJI_BEHIND_TLS_PROXY=1`` — trust ``X-Forwarded-Proto: https`` as meaning the request came over HTTPS
  (``SECURE_PROXY_SSL_HEADER``). Safe only when every request reaches the platform through a proxy that sets
  that header itself, overwriting the client's, as the nginx example does; otherwise any client could claim
  HTTPS. (Gunicorn already trusts the header from 127.0.0.1 only, ``core.serving``; this setting is for a proxy
  on another address, which gunicorn's ``forwarded_allow_ips`` does not trust.)
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("CHANGJI_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
# Published with the code: the demo's only. `changji serve` refuses it (core.serving.refusals).
DEMO_SECRET_KEY = "changji-demo-only-secret-key-set-DJANGO_SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEMO_SECRET_KEY)
# The instance's root region, read through changji.core.regions.root() / root_region().
CHANGJI_ROOT_REGION = os.environ.get("CHANGJI_ROOT_REGION", "652300")

ALLOWED_HOSTS = [host.strip() for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
                 .split(",") if host.strip()]
CSRF_TRUSTED_ORIGINS = [origin.strip() for origin in os.environ.get("CHANGJI_CSRF_TRUSTED_ORIGINS", "").split(",")
                        if origin.strip()]

INSTALLED_APPS = [
    "changji.core.admin_config.PlatformAdminConfig",  # django.contrib.admin with the platform's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "changji.core",
    "changji.water",
    "changji.services",
    "changji.community",
]

MIDDLEWARE = [
    "changji.core.metrics.RequestMetricsMiddleware",  # first: times and counts every answer, by route pattern
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "changji.core.languages.ResidentLanguageMiddleware",  # residents' pages in zh-hans or kk, staff pages zh-hans
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "changji.core.middleware.RefuseNulMiddleware",
    "changji.core.middleware.RefusalMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "changji.urls"
WSGI_APPLICATION = "changji.wsgi.application"
ASGI_APPLICATION = "changji.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "changji.core.navigation.menu",
            ],
            # ``user|may:"water.command.send"`` in every template (core.access, through core.templatetags.access).
            "builtins": ["changji.core.templatetags.access"],
        },
    },
]

_SQLITE_DEFAULT = f"sqlite:///{DATA_DIR / 'changji.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or _SQLITE_DEFAULT, conn_max_age=0, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while the gateway writes; synchronous=FULL keeps a committed
    # (and therefore acknowledged) reading on disk even across a power cut.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 10,
    }

AUTH_USER_MODEL = "core.User"
# django-axes counts failed logins (the platform's login page, the admin's, anything calling authenticate) and
# locks a username and address pair out for a while after too many. ``core.sign_in.lockout_username`` keys the
# count on the username as Django authenticates it (NFKC, as typed otherwise), so a look-alike such as "ｏpB"
# (a full-width letter) counts against "opB" instead of getting a fresh budget.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "changji.core.sign_in.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"  # post/redirect/get, and no English "logged out" page

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("kk", "قازاقشا")]
# Kazakh in the Arabic script (Xinjiang), right to left; Django's LANG_INFO is overridden by core.languages.
LANGUAGES_BIDI = ["he", "ar", "ar-dz", "ckb", "fa", "ug", "ur", "kk"]
# The cookie Django's set_language view writes and the resident pages read (the public pages' contract).
LANGUAGE_COOKIE_NAME = "LANGUAGE_CODE"
LOCALE_PATHS = [BASE_DIR / "community" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600  # one working day; the operator logs in again the next morning
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken
CSRF_FAILURE_VIEW = "changji.core.error_pages.csrf_failure"  # Chinese, in the platform's layout
# Behind TLS in production: CHANGJI_SECURE_COOKIES=1 marks the cookies Secure and sends HSTS.
SECURE_COOKIES = os.environ.get("CHANGJI_SECURE_COOKIES") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_HSTS_SECONDS = 31_536_000 if SECURE_COOKIES else 0
if os.environ.get("CHANGJI_BEHIND_TLS_PROXY") == "1":  # only behind a proxy that sets the header (module docstring)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from the platform's own static files, never inline (the
# pages keep their data in <script type="application/json"> blocks, which are not executed); no framing, no
# plugins, forms post only here. Styles also allow inline ``style`` attributes: ECharts writes its tooltip
# markers and Leaflet its panes that way, and a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Community app: radius of the 10-minute service circle around a service point (10 min at 4.8 km/h = 800 m),
# measured as straight-line distance; CHANGJI_SERVICE_CIRCLE_M overrides it.
COMMUNITY_SERVICE_CIRCLE_M = float(os.environ.get("CHANGJI_SERVICE_CIRCLE_M", "800"))

# No secret in any log (core.log_redaction): every handler redacts query codes, API keys, tokens, passwords and
# session cookies, and so does the record factory that LOGGING_CONFIG installs. Django's own loggers are routed
# to the same handlers: "django.server" (runserver's access lines, query strings included) and "django" replace
# Django's defaults, whose handlers would bypass the filter.
LOGGING_CONFIG = "changji.core.log_redaction.configure_logging"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "changji.core.log_redaction.RedactSecrets"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]},
        "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR",
                        "filters": ["require_debug_false", "redact_secrets"]},
    },
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        # django-axes logs every successful login's reset at INFO; lockouts are audited (core.login.locked).
        "axes": {"level": "WARNING"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("CHANGJI_LOG_LEVEL", "INFO")},
}

# Community app: how long a member's or unit's claim holds a micro-wish (微心愿) before it unlocks (hours).
COMMUNITY_WISH_CLAIM_HOURS = int(os.environ.get("CHANGJI_WISH_CLAIM_HOURS", "72"))

# Notifications (core.notifications). SMS goes through Aliyun SMS SendSms (dysmsapi 2017-05-25): the endpoint,
# the AccessKey pair (the secret is never logged), the approved signature (签名) and, per event, the approved
# template's code as a JSON object {"water.quota.stop": "SMS_123456789", …}. Without an AccessKey id no SMS is
# sent (the notices wait in the outbox). E-mail goes through Django's SMTP backend; without CHANGJI_SMTP_HOST
# no e-mail is sent. At most CHANGJI_SMS_PER_HOUR texts (CHANGJI_EMAIL_PER_HOUR e-mails) go to one address an hour.
CHANGJI_SMS_ENDPOINT = os.environ.get("CHANGJI_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
CHANGJI_SMS_ACCESS_KEY_ID = os.environ.get("CHANGJI_SMS_ACCESS_KEY_ID", "")
CHANGJI_SMS_ACCESS_KEY_SECRET = os.environ.get("CHANGJI_SMS_ACCESS_KEY_SECRET", "")
CHANGJI_SMS_SIGN_NAME = os.environ.get("CHANGJI_SMS_SIGN_NAME", "昌吉州水利局")
CHANGJI_SMS_REGION = os.environ.get("CHANGJI_SMS_REGION", "cn-hangzhou")
CHANGJI_SMS_TEMPLATE_CODES = os.environ.get("CHANGJI_SMS_TEMPLATE_CODES", "{}")
CHANGJI_SMS_TIMEOUT_S = float(os.environ.get("CHANGJI_SMS_TIMEOUT_S", "10"))
CHANGJI_SMS_PER_HOUR = int(os.environ.get("CHANGJI_SMS_PER_HOUR", "5"))
CHANGJI_EMAIL_PER_HOUR = int(os.environ.get("CHANGJI_EMAIL_PER_HOUR", "20"))
CHANGJI_SMTP_HOST = os.environ.get("CHANGJI_SMTP_HOST", "")
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = CHANGJI_SMTP_HOST or "localhost"
EMAIL_PORT = int(os.environ.get("CHANGJI_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("CHANGJI_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CHANGJI_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("CHANGJI_SMTP_STARTTLS", "0") == "1"
EMAIL_USE_SSL = os.environ.get("CHANGJI_SMTP_SSL", "0") == "1"
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("CHANGJI_MAIL_FROM", "昌吉州智慧治理平台 <noreply@changji.gov.cn>")

# Health and metrics (core.health, core.metrics; README "Health and metrics"). /readyz fails when the job runner
# has claimed no period for CHANGJI_READY_JOBS_MAX_AGE_S seconds, or when terminals are registered and no frame
# was stored for CHANGJI_READY_FRAMES_MAX_AGE_S. /metrics answers a bearer of CHANGJI_METRICS_TOKEN; without a
# token, only a loopback request that no proxy forwarded (no X-Forwarded-For).
CHANGJI_READY_JOBS_MAX_AGE_S = float(os.environ.get("CHANGJI_READY_JOBS_MAX_AGE_S", "300"))
CHANGJI_READY_FRAMES_MAX_AGE_S = float(os.environ.get("CHANGJI_READY_FRAMES_MAX_AGE_S", "900"))
CHANGJI_METRICS_TOKEN = os.environ.get("CHANGJI_METRICS_TOKEN", "")
