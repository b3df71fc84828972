"""Turnout's one settings module: every deployment choice comes from the environment.

docs/operations.md lists each variable. Without any, Turnout runs on SQLite in ./var
with a database-backed task queue, which is what `turnout demo` uses.
"""

import hashlib
import ipaddress
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from turnout.core import files

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("TURNOUT_VAR_DIR", Path.cwd() / "var")).resolve()
# What Turnout writes holds members' data (the database, uploads, error reports, keys): every file
# it makes is its own user's alone, whatever umask the shell or service manager gave it. The places
# that write files also set the mode themselves (turnout.core.files); this catches the rest.
os.umask(files.PRIVATE_UMASK)


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no setting; a value that is neither (a typo such as "flase") stops Turnout from starting
    rather than quietly reading as off."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    word = value.strip().lower()
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: write true or false (or 1/0, yes/no, on/off).")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: write a whole number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_days(name: str, default: int) -> int:
    """A retention period in days; 0 keeps for ever."""
    days = env_int(name, default)
    if days < 0:
        raise ImproperlyConfigured(f"{name}={days}: write a number of days, or 0 to keep for ever.")
    return days


DEBUG = env_bool("TURNOUT_DEBUG")
# `turnout demo` sets TURNOUT_DEMO. The demo and development (TURNOUT_DEBUG) get the demo phone
# (/demo/phone/): the texts Turnout "sent" to the file transport, and replies typed as the member
# that go in through the signed gateway hook. Never on in production: `check --deploy` says so.
DEMO = env_bool("TURNOUT_DEMO")
DEMO_PHONE = DEMO or DEBUG
# Without a key Turnout still starts for tests and development, but `turnout serve`
# refuses to run and `check --deploy` flags it; `turnout demo` writes one into ./var.
INSECURE_DEV_KEY = "django-insecure-turnout-development-key-never-use-in-production"
_demo_key_file = VAR_DIR / "secret_key"
SECRET_KEY = (
    os.environ.get("TURNOUT_SECRET_KEY")
    or (_demo_key_file.read_text().strip() if _demo_key_file.exists() else "")
    or INSECURE_DEV_KEY
)

BASE_URL = os.environ.get("TURNOUT_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env_list("TURNOUT_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = [BASE_URL]
# Behind reverse proxies: how many of them stand between the internet and Turnout, each appending
# to X-Forwarded-For (TURNOUT_TRUSTED_PROXY_HOPS), or which addresses they have
# (TURNOUT_TRUSTED_PROXIES, CIDRs). The client is the rightmost address none of them added
# (turnout.core.net.client_ip); without either setting it is the socket's peer and the header is
# ignored. TURNOUT_TRUST_X_FORWARDED_FOR=true, the older spelling, means one hop.
TRUSTED_PROXY_HOPS = env_int("TURNOUT_TRUSTED_PROXY_HOPS", 1 if env_bool("TURNOUT_TRUST_X_FORWARDED_FOR") else 0)
TRUSTED_PROXIES = env_list("TURNOUT_TRUSTED_PROXIES")
try:
    for _network in TRUSTED_PROXIES:
        ipaddress.ip_network(_network, strict=False)
except ValueError as _error:
    raise ImproperlyConfigured(f"TURNOUT_TRUSTED_PROXIES: {_error}") from None
if TRUSTED_PROXY_HOPS < 0:
    raise ImproperlyConfigured("TURNOUT_TRUSTED_PROXY_HOPS: write 0 or more.")
ORGANIZATION_NAME = os.environ.get("TURNOUT_ORGANIZATION_NAME", "Turnout")
# Sensitive free text (assessment and conversation notes, what a worker says is going on at work)
# is encrypted in the database with keys derived from SECRET_KEY and these salts; the first salt
# encrypts, every one decrypts, so a new salt goes first and old rows are re-saved to rotate.
SALT_KEY = env_list("TURNOUT_ENCRYPTION_SALTS", "turnout-field-encryption-1")
# Keys for sealed data that live apart from SECRET_KEY (turnout.core.sealing): Fernet keys in
# TURNOUT_ENCRYPTION_KEY (comma-separated) and/or one per line in TURNOUT_ENCRYPTION_KEY_FILE
# (`turnout demo` writes var/encryption_key). The first seals, all open; the derived keys above
# come after them, so data sealed before a key was set still opens.
# After an erasure PostgreSQL tables up to this size are rewritten (VACUUM FULL) so no deleted
# row's bytes stay in their pages; larger ones are vacuumed and reindexed without blocking
# (people.erasure.scrub, docs/privacy.md).
SCRUB_REWRITE_MAX_MB = env_int("TURNOUT_SCRUB_REWRITE_MAX_MB", 256)
# How long the scrub waits for transactions older than the erasure to end before it tries again
# a minute later (an open transaction anywhere on the server keeps VACUUM from removing rows).
SCRUB_WAIT_SECONDS = env_int("TURNOUT_SCRUB_WAIT_SECONDS", 30)
ENCRYPTION_KEYS = env_list("TURNOUT_ENCRYPTION_KEY")
_key_file = os.environ.get("TURNOUT_ENCRYPTION_KEY_FILE") or (
    str(VAR_DIR / "encryption_key") if (VAR_DIR / "encryption_key").exists() else "")
if _key_file:
    try:
        ENCRYPTION_KEYS += [line.strip() for line in Path(_key_file).read_text().splitlines() if line.strip()]
    except OSError as _error:
        raise ImproperlyConfigured(f"TURNOUT_ENCRYPTION_KEY_FILE: {_error}") from None

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks_db",
    "anymail",
    "turnout.core",
    "turnout.accounts",
    "turnout.people",
    "turnout.api",
    "turnout.messaging",
    "turnout.sharing",
    "turnout.events",
    "turnout.mobilization",
    "turnout.actions",
    "turnout.organizing",
    "turnout.texting",
    "turnout.hubs",
    "turnout.site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "turnout.accounts.middleware.StaffSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "turnout.urls"
WSGI_APPLICATION = "turnout.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "turnout.core.context_processors.turnout",
                "turnout.accounts.context_processors.roles",
            ],
        },
    }
]

# Database: SQLite in ./var by default, anything dj-database-url reads otherwise.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'turnout.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    files.private_folder(VAR_DIR)
    # Made here, owner-only, before SQLite first opens it: SQLite gives its -wal and -shm files the
    # database file's own mode. An older install's file (and its -wal, -shm) is closed to others.
    _database_file = str(DATABASES["default"]["NAME"])
    if _database_file and _database_file != ":memory:" and not _database_file.startswith("file:"):
        try:
            files.touch_private(_database_file)
            files.make_private(_database_file + "-wal")
            files.make_private(_database_file + "-shm")
        except FileNotFoundError:  # its folder is missing: SQLite says so when it opens it
            pass
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while the worker writes; IMMEDIATE takes the
        # write lock at BEGIN so two writers queue instead of failing mid-transaction.
        # secure_delete overwrites deleted rows with zeros, so an erased person leaves no
        # bytes in the file's free space (people.erasure.scrub also truncates the WAL).
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000; PRAGMA secure_delete=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif VAR_DIR.is_dir():
    files.private_folder(VAR_DIR)  # uploads and media live here whatever the database
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# The worker takes "default" first: "sending" holds dispatch that may wait while the work that
# writes what it sends (settling forms, writing confirmations) catches up (`messaging.tasks`).
TASK_QUEUES = ["default", "sending"]
if REDIS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
    RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600} for name in TASK_QUEUES}
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Staff accounts.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "site:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = env_int("TURNOUT_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("TURNOUT_LOGIN_LOCKOUT_MINUTES", 30) / 60  # hours
# A lockout holds one username from one address: a stranger guessing a colleague's password from
# elsewhere locks out only themselves, and everyone behind one proxy is not locked out together.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "turnout.core.net.axes_client_ip"
AXES_USERNAME_CALLABLE = "turnout.accounts.signals.attempted_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
REQUIRE_ADMIN_2FA = env_bool("TURNOUT_REQUIRE_ADMIN_2FA", True)
# Adding or removing an authenticator, making an API token and changing the password ask for a
# fresh code (or, without an authenticator, the password); one confirmation holds this long.
REAUTH_MINUTES = env_int("TURNOUT_REAUTH_MINUTES", 10)
# Password reset emails, in django-ratelimit's notation: per client address and per account.
PASSWORD_RESET_RATE_PER_IP = os.environ.get("TURNOUT_PASSWORD_RESET_RATE_PER_IP", "10/h")
PASSWORD_RESET_RATE_PER_ACCOUNT = os.environ.get("TURNOUT_PASSWORD_RESET_RATE_PER_ACCOUNT", "3/h")
OTP_TOTP_ISSUER = ORGANIZATION_NAME

# Idle timeout: every request renews the session; a staffer idle this long logs in again.
SESSION_COOKIE_AGE = env_int("TURNOUT_SESSION_IDLE_MINUTES", 60) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
INVITATION_MAX_AGE_DAYS = 7

# Security headers; HTTPS settings switch on with a https BASE_URL.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if BASE_URL.startswith("https://"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("TURNOUT_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("TURNOUT_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Email: an email provider through Anymail when TURNOUT_EMAIL_BACKEND names one (for example
# anymail.backends.postmark.EmailBackend), SMTP when TURNOUT_EMAIL_HOST is set, otherwise
# files in var/mail for development.
EMAIL_BACKEND_SETTING = os.environ.get("TURNOUT_EMAIL_BACKEND", "")
EMAIL_HOST_SETTING = os.environ.get("TURNOUT_EMAIL_HOST", "")
MAILERS: dict[str, dict[str, Any]]
if EMAIL_BACKEND_SETTING:
    MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_SETTING}}
elif EMAIL_HOST_SETTING:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": EMAIL_HOST_SETTING,
                "port": env_int("TURNOUT_EMAIL_PORT", 587),
                "username": os.environ.get("TURNOUT_EMAIL_USER", ""),
                "password": os.environ.get("TURNOUT_EMAIL_PASSWORD", ""),
                "use_tls": env_bool("TURNOUT_EMAIL_TLS", True),
                "timeout": 20,
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
DEFAULT_FROM_EMAIL = os.environ.get("TURNOUT_FROM_EMAIL", "turnout@localhost")
# Anymail's settings, each from TURNOUT_ANYMAIL_<NAME>: the provider's key (for example
# TURNOUT_ANYMAIL_POSTMARK_SERVER_TOKEN) and WEBHOOK_SECRET ("user:password"), the basic
# auth every provider webhook at /hooks/email/<provider>/tracking/ must carry.
ANYMAIL = {key.removeprefix("TURNOUT_ANYMAIL_"): value for key, value in os.environ.items()
           if key.startswith("TURNOUT_ANYMAIL_")}

# Internationalization: English and Spanish from the start.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TURNOUT_TIME_ZONE", "America/New_York")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
IMPORT_DIR = VAR_DIR / "imports"
# Uploads (card scans, resolutions, files on resource centers) and the folders they go in are
# Turnout's own user's alone; Turnout serves them itself, checking who asks.
FILE_UPLOAD_PERMISSIONS = files.FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = files.FOLDER_MODE
# Public forms (RSVPs, sign-ups, petitions, pledges, endorsements): submissions per IP address
# (high enough for a union hall on one wifi) and per person named, in django-ratelimit's notation.
PUBLIC_FORM_RATE_PER_IP = os.environ.get("TURNOUT_PUBLIC_FORM_RATE_PER_IP", "120/m")
PUBLIC_FORM_RATE_PER_PERSON = os.environ.get("TURNOUT_PUBLIC_FORM_RATE_PER_PERSON", "10/h")
# django-ratelimit's own settings that its checks read, at its defaults, spelled out: a setting
# that is not defined is looked for again (an exception) on every check, which made a form's two
# checks a third slower. (Its address settings are not used: `core.abuse` keys by address itself.)
RATELIMIT_ENABLE = True
RATELIMIT_USE_CACHE = "default"
RATELIMIT_CACHE_PREFIX = "rl:"
RATELIMIT_HASH_ALGORITHM = hashlib.sha256
RATELIMIT_FAIL_OPEN = False
# A worker who asked to organize and has not been contacted after this many hours is brought
# back to the organizers (or their assigned volunteer) by email.
ORGANIZING_FOLLOW_UP_HOURS = env_int("TURNOUT_ORGANIZING_FOLLOW_UP_HOURS", 48)
# The Action Network-compatible API: requests per token per window, and webhook delivery.
API_RATE_LIMIT = env_int("TURNOUT_API_RATE_LIMIT", 600)
API_RATE_WINDOW_SECONDS = env_int("TURNOUT_API_RATE_WINDOW", 60)
WEBHOOK_TIMEOUT_SECONDS = env_int("TURNOUT_WEBHOOK_TIMEOUT", 10)

# Text messages: console | file | http | twilio | memory (tests), or a dotted path to a transport class.
# The demo phone reads what the file transport wrote, so the demo and development write there.
SMS_BACKEND = os.environ.get("TURNOUT_SMS_BACKEND") or ("file" if DEMO_PHONE else "console")
SMS_FROM = os.environ.get("TURNOUT_SMS_FROM", "")
# Sending numbers, short codes or Twilio messaging services (MG…), comma-separated, each
# optionally with its own throughput and a daily cap in texts: "+12065550100,+12065550101:3:2000,MG0123…:50".
# A person keeps hearing from the sender that first texted them (unless it has sent its cap today).
SMS_SENDERS = env_list("TURNOUT_SMS_SENDERS", SMS_FROM)
for _sender in SMS_SENDERS:  # "address", "address:rate" or "address:rate:cap": a typo fails here, not at each send
    _address, _sep, _rest = _sender.partition(":")
    _rate, _sep, _cap = _rest.partition(":")
    if not re.fullmatch(r"\s*(\d+(\.\d*)?)?\s*", _rate) or not re.fullmatch(r"\s*\d*\s*", _cap):
        raise ImproperlyConfigured(f"TURNOUT_SMS_SENDERS: {_sender!r} is not address, address:rate or "
                                   "address:rate:cap (a rate in segments a second, a cap in texts a day).")
# Segments per second per sender unless the sender names its own; 0 = no limit. A 10DLC
# number takes about 1, so real providers default to 1; development transports to none.
SMS_RATE = float(os.environ.get("TURNOUT_SMS_RATE") or (1 if SMS_BACKEND in ("http", "twilio") else 0))
# Twilio: the account (or an API key with its secret) and the messaging API's address.
TWILIO_ACCOUNT_SID = os.environ.get("TURNOUT_TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TURNOUT_TWILIO_AUTH_TOKEN", "")
TWILIO_API_URL = os.environ.get("TURNOUT_TWILIO_API_URL", "https://api.twilio.com").rstrip("/")
# A phone bank's bridged calls (Twilio Voice) show this number to the caller and the member; empty:
# the first sender number.
CALL_FROM = os.environ.get("TURNOUT_CALL_FROM", "")
# Twilio's Advanced Opt-Out answers STOP/START/HELP itself; Turnout then records them silently.
TWILIO_ANSWERS_KEYWORDS = env_bool("TURNOUT_TWILIO_ANSWERS_KEYWORDS", True)
SMS_HTTP_URL = os.environ.get("TURNOUT_SMS_HTTP_URL", "")
# Without a gateway the demo phone still signs its replies: with a secret derived from SECRET_KEY.
SMS_HTTP_SECRET = os.environ.get("TURNOUT_SMS_HTTP_SECRET") or (
    hashlib.sha256(f"turnout.demo-phone:{SECRET_KEY}".encode()).hexdigest() if DEMO_PHONE else "")
SMS_HTTP_TIMEOUT = env_int("TURNOUT_SMS_HTTP_TIMEOUT", 10)
# How many texts one worker hands to the transport at once.
SMS_CONCURRENCY = env_int("TURNOUT_SMS_CONCURRENCY", 8)
# How many worker processes share one message's sending (each claims its own batches).
DISPATCHERS = env_int("TURNOUT_DISPATCHERS", 1)
# An activation commits this many of the nearest people's outbox first, so their texts leave
# while everyone else's is written.
ACTIVATION_FIRST_CHUNK = env_int("TURNOUT_ACTIVATION_FIRST_CHUNK", 1000)
# Event maps: a tile server URL template, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png with
# its attribution; empty (the default) draws the map's markers without tiles, so no request
# leaves for a third party.
MAP_TILES_URL = os.environ.get("TURNOUT_MAP_TILES_URL", "")
MAP_TILES_ATTRIBUTION = os.environ.get("TURNOUT_MAP_TILES_ATTRIBUTION", "")

# Content-Security-Policy, enforced: scripts, styles, frames and connections only from this site, so
# markup injected into a page runs nothing and sends nothing elsewhere. Turnout's templates carry no
# inline script, handler or style attribute; the nonce (csp_nonce in templates) is on htmx's
# <script> tags and lets Django's own pages through (the CSRF failure page's <style>). Images may
# also come from the map's tile server, and be data: (the blank image Leaflet puts in a tile it
# cancels). Embeds (…/embed/) widen frame-ancestors for themselves, and a form that sends people on
# to another site widens form-action (turnout.core.csp).
_map_tiles = urlsplit(MAP_TILES_URL.replace("{s}", "*"))  # Leaflet's {s} is a subdomain
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", *([f"{_map_tiles.scheme}://{_map_tiles.netloc}"] if _map_tiles.netloc else [])],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Retention (docs/operations.md, "Retention"): how many days each kind of record is kept once it is
# done with; 0 keeps it for ever. `turnout worker` removes what is older at start and then hourly
# (turnout.site.retention); `turnout prune` does it by hand.
# How long the link in a signer's copy of their union card opens it: long enough to keep the PDF,
# not so long that a link forwarded or found on a phone names the signer for ever.
CARD_COPY_DAYS = env_days("TURNOUT_CARD_COPY_DAYS", 90)
KEEP_INBOUND_DAYS = env_days("TURNOUT_KEEP_INBOUND_DAYS", 90)  # texts received, once handled
# A reply nobody has marked handled stays in the inbox this long, so it does not vanish unread.
KEEP_UNHANDLED_INBOUND_DAYS = env_days("TURNOUT_KEEP_UNHANDLED_INBOUND_DAYS", 365)
KEEP_DELIVERIES_DAYS = env_days("TURNOUT_KEEP_DELIVERIES_DAYS", 180)  # a finished message's outbox rows
# A finished texting campaign's texts, flag reasons, coaching notes and texters' emails.
KEEP_TEXTING_DAYS = env_days("TURNOUT_KEEP_TEXTING_DAYS", 90)
KEEP_WEBHOOK_DELIVERIES_DAYS = env_days("TURNOUT_KEEP_WEBHOOK_DELIVERIES_DAYS", 30)
KEEP_UNREADABLE_WEBHOOKS_DAYS = env_days("TURNOUT_KEEP_UNREADABLE_WEBHOOKS_DAYS", 30)
KEEP_TASK_RESULTS_DAYS = env_days("TURNOUT_KEEP_TASK_RESULTS_DAYS", 7)
KEEP_IMPORT_FILES_DAYS = env_days("TURNOUT_KEEP_IMPORT_FILES_DAYS", 30)
# Worker runs that may fail on one public form (RSVP, sign-up form, petition, pledge) before it is
# marked failed, keeping what was typed for staff, instead of being tried on every run for ever.
INTAKE_MAX_ATTEMPTS = env_int("TURNOUT_INTAKE_MAX_ATTEMPTS", 5)
if INTAKE_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured(f"TURNOUT_INTAKE_MAX_ATTEMPTS={INTAKE_MAX_ATTEMPTS}: write 1 or more.")
KEEP_RSVP_FORMS_DAYS = env_days("TURNOUT_KEEP_RSVP_FORMS_DAYS", 7)  # settled RSVP forms (contents already dropped)
KEEP_LOGIN_RECORDS_DAYS = env_days("TURNOUT_KEEP_LOGIN_RECORDS_DAYS", 90)

# Texts reach people only between these hours (24-hour clock) in their own time zone.
QUIET_HOURS_WINDOW = (env_int("TURNOUT_QUIET_HOURS_START", 9), env_int("TURNOUT_QUIET_HOURS_END", 20))

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Keys in private links (a member's RSVP link, a card's copy) never reach the logs.
    "filters": {"private_links": {"()": "turnout.core.private_links.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["private_links"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("TURNOUT_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

SILENCED_SYSTEM_CHECKS: list[str] = []
