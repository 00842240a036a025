"""How long the database may keep a caller waiting (issue 12 §10): on PostgreSQL every connection
carries a ``statement_timeout`` (how long one statement may run) and a ``lock_timeout`` (how long it
may wait for a lock another transaction holds) — short for web requests, longer for jobs, the
scheduler and commands — and an error that says the database was too busy is told apart from one
that says something is wrong.

SQLite has neither setting: a writer waits for the file lock for pysqlite's busy timeout and then
fails with "database is locked", which counts as busy here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tracker.extensions import db

__all__ = [
    "timeout_settings",
    "engine_options_with_timeouts",
    "is_busy",
    "BUSY_SQLSTATES",
    "commit_keeping_loaded",
]

#: query_canceled (statement_timeout), lock_not_available (lock_timeout), deadlock_detected,
#: serialization_failure: the statement did not run because of other work, and may be tried again.
BUSY_SQLSTATES = frozenset({"57014", "55P03", "40P01", "40001"})
_SQLITE_BUSY = ("database is locked", "database table is locked")


def timeout_settings(config: Mapping[str, Any], *, web: bool) -> dict[str, int]:
    """``{"statement_timeout": ms, "lock_timeout": ms}`` from ``WEB_…`` or ``JOB_…_TIMEOUT_SECONDS``
    (0 or unset: no limit, PostgreSQL's default)."""
    prefix = "WEB" if web else "JOB"
    settings = {}
    for name in ("statement_timeout", "lock_timeout"):
        seconds = float(config.get(f"{prefix}_{name.upper()}_SECONDS") or 0)
        if seconds > 0:
            settings[name] = max(int(seconds * 1000), 1)
    return settings


def engine_options_with_timeouts(
    url: str, options: Mapping[str, Any], settings: Mapping[str, int]
) -> dict[str, Any]:
    """``SQLALCHEMY_ENGINE_OPTIONS`` whose PostgreSQL connections start with ``settings`` (libpq's
    ``options``, so they hold for every transaction of the connection); unchanged for other
    databases."""
    merged = dict(options)
    if not settings or make_url(url).get_backend_name() != "postgresql":
        return merged
    connect_args = dict(merged.get("connect_args") or {})
    given = str(connect_args.get("options") or "")
    connect_args["options"] = " ".join(
        filter(None, [given, *(f"-c {name}={value}" for name, value in settings.items())])
    )
    merged["connect_args"] = connect_args
    return merged


def is_busy(error: BaseException) -> bool:
    """Whether a database error says the statement was cut short by a timeout, a lock it waited for
    or a deadlock — not by what it asked."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    return type(original).__module__ == "sqlite3" and str(original).startswith(_SQLITE_BUSY)


def commit_keeping_loaded() -> None:
    """Commit the session without expiring what it holds. Expiring is for a next transaction that
    must see other sessions' changes; a request that answers with a redirect, or only reads back what
    it has just written, has none — and expiring costs a walk over every loaded object (a thousand
    indicators and their actuals on a large form), and the reload of any of them read afterwards."""
    session = db.session()
    session.expire_on_commit, expire = False, session.expire_on_commit
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
