"""Configuration by class and environment. Everything can be overridden by environment variables."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Heroku-style and bare "postgresql://" URLs would pick psycopg2; we ship psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


#: The development key: public (it is in this file), so only for a machine no one else reaches.
DEV_SECRET_KEY = "dev-only-not-secret"
#: Shortest SECRET_KEY a production app starts with (``secrets.token_hex(32)`` gives 64 characters).
MIN_SECRET_KEY_LENGTH = 32
#: How to make one, as the refusal says.
SECRET_KEY_HOWTO = "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    #: A web app refuses to start with a missing, public or short SECRET_KEY (production).
    REQUIRE_SECRET_KEY = False
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'tracker.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # PostgreSQL, per connection (seconds, 0: no limit): how long one statement may run and how long
    # it may wait for a lock. A web request that hits one answers 503 with a retry message; jobs,
    # the scheduler and commands wait longer (tracker.core.database).
    WEB_STATEMENT_TIMEOUT_SECONDS = float(os.environ.get("WEB_STATEMENT_TIMEOUT_SECONDS", "5"))
    WEB_LOCK_TIMEOUT_SECONDS = float(os.environ.get("WEB_LOCK_TIMEOUT_SECONDS", "3"))
    JOB_STATEMENT_TIMEOUT_SECONDS = float(os.environ.get("JOB_STATEMENT_TIMEOUT_SECONDS", "1800"))
    JOB_LOCK_TIMEOUT_SECONDS = float(os.environ.get("JOB_LOCK_TIMEOUT_SECONDS", "60"))
    # PostgreSQL: psycopg prepares a statement on its fifth run on a connection (the database then
    # plans it no more). 0 for a pooler that cannot keep prepared statements.
    PREPARED_STATEMENTS = os.environ.get("PREPARED_STATEMENTS", "1") != "0"
    TIMEZONE = os.environ.get("TZ_NAME", "Asia/Shanghai")

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = ["zh", "en"]

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    IDLE_TIMEOUT_MINUTES = int(os.environ.get("IDLE_TIMEOUT_MINUTES", "30"))
    WTF_CSRF_ENABLED = True
    # Rate limits (Flask-Limiter). memory:// counts in each worker process on its own: a production
    # server needs a store its workers share, redis://127.0.0.1:6379 (see README, Configuration).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "tracker")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    #: Production under gunicorn refuses memory:// unless this says a per-worker count will do.
    RATELIMIT_ALLOW_MEMORY = _bool("RATELIMIT_ALLOW_MEMORY", False)
    REQUIRE_SHARED_RATELIMIT_STORAGE = False
    #: Failed logins per user name and address, and per address over every user name.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "5 per minute;30 per hour")
    LOGIN_ADDRESS_RATE_LIMIT = os.environ.get("LOGIN_ADDRESS_RATE_LIMIT", "20 per minute;100 per hour")
    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (0: none, the
    #: client is the peer address); behind one nginx, 1. Rate limits count per client address.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
    # Ceilings of an imported file, from the page and the command line (tracker.targets.tables.Limits):
    # rows after the header (blank ones count), columns, cells, and seconds to read it.
    IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "500000"))
    IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "64"))
    IMPORT_MAX_CELLS = int(os.environ.get("IMPORT_MAX_CELLS", "8000000"))
    IMPORT_READ_SECONDS = float(os.environ.get("IMPORT_READ_SECONDS", "120"))
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    REPORT_DIR = os.environ.get("REPORT_DIR", str(INSTANCE_DIR / "reports"))

    SMTP_HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "none")  # none | starttls | ssl
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "30"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "tracker@localhost")
    FINANCE_BUREAU_EMAIL = os.environ.get("FINANCE_BUREAU_EMAIL", "")

    #: Level of the ``tracker`` loggers (logins, access refusals, the access log ``tracker.request``).
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

    #: The installation's default rule pack (SPEC §6a): the root bureau's, and every bureau's that
    #: picks none. ``tracker rule-packs`` lists the packs and where each is used.
    RULE_PACK = os.environ.get("RULE_PACK", "national-2020")
    #: Directories of a province's own pack files (*.toml), read beside the shipped ones at start-up;
    #: ``os.pathsep``-separated in the environment.
    RULE_PACK_DIRS = [d for d in os.environ.get("RULE_PACK_DIRS", "").split(os.pathsep) if d]
    SCHEDULER_ENABLED = _bool("SCHEDULER_ENABLED", True)

    API_TITLE = "绩效目标跟踪 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SCHEDULER_ENABLED = False
    # Set, but generous: a test on a loaded machine is not a request a clerk waits for.
    WEB_STATEMENT_TIMEOUT_SECONDS = 120.0
    WEB_LOCK_TIMEOUT_SECONDS = 60.0


class ProductionConfig(Config):
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    REQUIRE_SECRET_KEY = True
    REQUIRE_SHARED_RATELIMIT_STORAGE = True
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
