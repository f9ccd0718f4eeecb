"""Settings for the clinic backend, read from the environment (and an optional `.env`).

Production differs from development only through environment variables; nothing secret lives here.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# --- Secrets -------------------------------------------------------------------------------------
_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY in the environment or .env "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications --------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "clinic.apps.ClinicConfig",
    "patients.apps.PatientsConfig",
    "assessments.apps.AssessmentsConfig",
    "treatment.apps.TreatmentConfig",
]

MIDDLEWARE = [
    "clinic.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"
ASGI_APPLICATION = "clinic.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "clinic" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------
_SUPPORTED_DB_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis", "sqlite"}
_DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'clinic.sqlite3'}"


def _database_from_url(url: str) -> dict:
    """Parse DATABASE_URL strictly, so a typo fails at start-up with a clear message."""
    scheme = urlsplit(url).scheme
    if scheme not in _SUPPORTED_DB_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL has an unsupported scheme {scheme!r}; use "
            "postgres://user@host:port/name or sqlite:////absolute/path.sqlite3."
        )
    config = environ.Env.db_url_config(url)
    if config["ENGINE"].endswith("postgresql"):
        if not config.get("NAME"):
            raise ImproperlyConfigured("DATABASE_URL names no database (postgres://.../<name>).")
        # Persistent connections matter more than anything else for throughput (stack notes).
        config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
        # Typo-tolerant name search: pg_trgm's word-similarity cut-off for the `%>` operator.
        threshold = env.float("PATIENT_SEARCH_WORD_SIMILARITY", default=0.3)
        config.setdefault("OPTIONS", {})["options"] = (
            f"-c pg_trgm.word_similarity_threshold={threshold}"
        )
    return config


DATABASE_URL = env.str("DATABASE_URL", default=_DEFAULT_DATABASE_URL)
DATABASES = {"default": _database_from_url(DATABASE_URL)}
USING_EMBEDDED_DATABASE = DATABASE_URL == _DEFAULT_DATABASE_URL
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://clinic")}

# --- Authentication ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Argon2id first (memory-hard); the others only verify hashes made before and are upgraded on login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# --- Internationalisation; store UTC, show the clinic's zone --------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/Chicago")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Sessions and security ------------------------------------------------------------------------
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=15 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # inactivity time-out, not a fixed lifetime
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

_secure_default = not DEBUG
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_secure_default)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_secure_default)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_secure_default)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _secure_default else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_secure_default)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_secure_default)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- REST API -------------------------------------------------------------------------------------
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "clinic.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["clinic.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "clinic.api.pagination.PageNumberPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "clinic.api.throttling.AnonThrottle",
        "clinic.api.throttling.UserThrottle",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "clinic.api.exceptions.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Read at request time by clinic.api.throttling, so tests and operators can change them.
API_THROTTLE_RATES = {
    "anon": env.str("API_THROTTLE_ANON", default="30/min"),
    "user": env.str("API_THROTTLE_USER", default="1200/min"),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Clinic intake and patient-management API",
    "DESCRIPTION": (
        "REST API for outpatient substance-use treatment clinics. Every 4xx answer is a "
        "problem-details object (type, title, status, detail, errors)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "PatientStatusEnum": "patients.models.patient.Patient.Status",
        # One name for a choice set that appears under two field names (revoke's `method`).
        "RevocationMethodEnum": "patients.models.consent.RevocationMethod",
        "NoteStatusEnum": "treatment.api.session_serializers.STATUS_CHOICES",
        "AttendanceStatusEnum": "treatment.models.sessions.GroupAttendance.Status",
        "TreatmentPlanStatusEnum": "treatment.models.plan.TreatmentPlan.Status",
        "AcknowledgementMethodEnum": "treatment.models.plan.TreatmentPlan.AcknowledgementMethod",
        "ObjectiveStatusEnum": "treatment.models.plan.Objective.Status",
        "InterventionTypeEnum": "treatment.models.plan.INTERVENTION_TYPE_CHOICES",
        "DiagnosisStatusEnum": "assessments.models.diagnosis.DiagnosisStatus",
        "AppointmentModalityEnum": "patients.models.appointment.AppointmentModality",
        "SessionModalityEnum": "treatment.models.sessions.Modality",
        "AssessmentSettingEnum": "assessments.models.assessment.Assessment.Setting",
        "ConsentKindEnum": "patients.models.consent.ConsentKind",
        "PlanReviewOutcomeEnum": "treatment.models.plan.PlanReview.Outcome",
        "RelationshipStatusEnum": "assessments.models.history.RELATIONSHIP_CHOICES",
    },
}

# --- History -------------------------------------------------------------------------------------
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Logging: JSON lines on stdout, never patient data --------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "clinic.logging.RequestContextFilter"}},
    "formatters": {"json": {"()": "clinic.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_context"],
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Our middleware logs each request without its query string; these would log raw URLs.
        "django.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "django.request": {"level": "ERROR"},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Clinic policy -------------------------------------------------------------------------------
CLINIC_ORGANISATION_NAME = env.str("CLINIC_ORGANISATION_NAME", default="Demo Recovery Clinic")

# Alert thresholds: a JSON object overriding fields of assessments.alert_rules.AlertThresholds,
# e.g. {"cows_medical_review_min": 25, "cssrs_alert_levels": ["high", "moderate"]}. Checked at
# start-up (system check assessments.E002).
ALERT_THRESHOLDS = env.json("ALERT_THRESHOLDS", default={})
# A clinic's licensed instrument wording (JSON; see assessments/instrument_catalog.py).
INSTRUMENT_DISPLAY_TEXT_FILE = env.str("INSTRUMENT_DISPLAY_TEXT_FILE", default="") or None
# --- Sessions and notes (clinical reference section 6, session norms) ----------------------------
# Planned sessions in a course when the first session does not say: CBT about 12 weekly sessions
# (Project MATCH: 8 core + 4 elective), MET 4. Groups of 6-12 clients: the roster is capped here.
TREATMENT_COURSE_PLANNED_SESSIONS = {
    "cbt": env.int("TREATMENT_CBT_PLANNED_SESSIONS", default=12),
    "met": env.int("TREATMENT_MET_PLANNED_SESSIONS", default=4),
}
TREATMENT_GROUP_MAX_PATIENTS = env.int("TREATMENT_GROUP_MAX_PATIENTS", default=12)
# --- Treatment plans (clinic policy; see docs/treatment-plans.md) ---------------------------------


def _policy_map(name: str, raw: str, defaults: dict, parse) -> dict:
    """Defaults overridden per key from `NAME="key=value,key=value"`; a bad entry stops start-up."""
    merged = dict(defaults)
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, sep, value = item.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError
            merged[key.strip()] = parse(value.strip())
        except ValueError:
            raise ImproperlyConfigured(f"{name}: cannot read the entry {item!r}.") from None
    return merged


def _positive_days(value: str) -> int:
    days = int(value)
    if not 1 <= days <= 366:
        raise ValueError
    return days


def _intervention_default(value: str) -> dict:
    """`count/period/weeks`, for example `1/week/12`."""
    count, period, weeks = value.split("/")
    parsed = {"count": int(count), "period": period, "weeks": int(weeks)}
    if not 1 <= parsed["count"] <= 30 or period not in {"day", "week", "month"}:
        raise ValueError
    if not 1 <= parsed["weeks"] <= 104:
        raise ValueError
    return parsed


# Days until a plan's next review, per ASAM level code, from its start and then from each review.
# The state's rule decides (Kansas: outpatient plans updated at least every 90 days; intensive
# outpatient and residential plans within 7 days); these defaults are a starting point, not law.
TREATMENT_PLAN_REVIEW_DAYS = _policy_map(
    "TREATMENT_PLAN_REVIEW_DAYS",
    env.str("TREATMENT_PLAN_REVIEW_DAYS", default=""),
    {
        "default": 30,
        "0.5": 90,
        "1": 90,
        "1.0": 90,
        "1.5": 90,
        "1.7": 30,
        "1-WM": 7,
        "2-WM": 7,
        "2.1": 30,
        "2.5": 30,
        "2.7": 30,
        "3.1": 7,
        "3.2-WM": 7,
        "3.3": 7,
        "3.5": 7,
        "3.7": 7,
        "3.7-WM": 7,
        "4": 7,
        "4.0": 7,
        "4-WM": 7,
    },
    _positive_days,
)
# Level of care of a plan started from intake recommendations when the caller names none.
TREATMENT_PLAN_DEFAULT_LEVEL = env.str("TREATMENT_PLAN_DEFAULT_LEVEL", default="1")
# Frequency and duration given to each intervention type when a plan starts from recommendations
# (the clinician edits them before signing). Session norms from the clinical reference: CBT about
# 12 weekly sessions (Project MATCH), MET 4 sessions; the rest are documented starting points.
TREATMENT_PLAN_INTERVENTION_DEFAULTS = _policy_map(
    "TREATMENT_PLAN_INTERVENTION_DEFAULTS",
    env.str("TREATMENT_PLAN_INTERVENTION_DEFAULTS", default=""),
    {
        "cbt": {"count": 1, "period": "week", "weeks": 12},
        "met": {"count": 1, "period": "week", "weeks": 4},
        "individual_counseling": {"count": 1, "period": "week", "weeks": 12},
        "group_counseling": {"count": 1, "period": "week", "weeks": 12},
        "peer_support": {"count": 1, "period": "week", "weeks": 12},
        "psychoeducation": {"count": 1, "period": "week", "weeks": 4},
        "taper": {"count": 1, "period": "week", "weeks": 12},
        "medical_monitoring": {"count": 1, "period": "week", "weeks": 4},
        "healthy_activity": {"count": 3, "period": "week", "weeks": 12},
        "medication_treatment": {"count": 1, "period": "week", "weeks": 12},
        "referral": {"count": 1, "period": "month", "weeks": 4},
    },
    _intervention_default,
)
# Whether a supervisor must co-sign a plan before it becomes active, and the Django group whose
# clinicians may co-sign any plan at their sites (besides a patient's care-team supervisor).
TREATMENT_PLAN_REQUIRES_COSIGN = env.bool("TREATMENT_PLAN_REQUIRES_COSIGN", default=False)
TREATMENT_PLAN_COSIGNER_GROUP = env.str(
    "TREATMENT_PLAN_COSIGNER_GROUP", default="Clinical supervisor"
)
