"""How long the database may keep a caller waiting (issue 12 §10): on PostgreSQL every connection
carries a ``statement_timeout`` (how long one statement may run) and a ``lock_timeout`` (how long it
may wait for a lock another transaction holds) — short for web requests, longer for jobs, the
scheduler and commands — and an error that says the database was too busy is told apart from one
that says something is wrong.

SQLite has neither setting: a writer waits for the file lock for pysqlite's busy timeout and then
fails with "database is locked", which counts as busy here too.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction

from tracker.extensions import db

__all__ = [
    "timeout_settings",
    "engine_options_with_timeouts",
    "is_busy",
    "BUSY_SQLSTATES",
    "commit_keeping_loaded",
    "init_request_transactions",
    "without_prepared_statements",
]

log = logging.getLogger("tracker.database")

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


#: Where a session keeps the connection its transaction began on (ORM ``after_begin``).
_BEGUN = "tracker.begun_on"


#: Whether the transaction has no id yet, so wrote nothing: PostgreSQL 13's name, and 10's before it.
_WROTE_NOTHING = {
    True: "SELECT pg_current_xact_id_if_assigned() IS NULL",
    False: "SELECT txid_current_if_assigned() IS NULL",
}


def _remember_connection(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    session.info[_BEGUN] = connection


def end_reading_transaction(error: BaseException | None = None) -> None:
    """End a request's transaction that wrote nothing with COMMIT rather than ROLLBACK (PostgreSQL).

    The two end such a transaction alike, but psycopg forgets every statement it has prepared on the
    connection at a ROLLBACK: with every page ending so, no statement was ever prepared, and the
    database planned each one afresh — most of a lamp's database time. PostgreSQL says whether the
    transaction wrote anything (it has a transaction id from its first write, COPY and SELECT … FOR
    UPDATE included); one that did, a failed request and anything not flushed are rolled back as
    before.

    What takes no transaction id is kept now where a rollback undid it: request code sets settings
    with ``SET LOCAL`` (or ``set_config(…, true)``), never plain ``SET``, and sends no NOTIFY."""
    if not db.session.registry.has():
        return  # the request never used the database
    session = db.session()
    connection: Connection | None = session.info.pop(_BEGUN, None)
    if error is not None or connection is None or not session.in_transaction():
        return
    if connection.dialect.name != "postgresql" or session.new or session.dirty or session.deleted:
        return
    question = _WROTE_NOTHING[(connection.dialect.server_version_info or (0,)) >= (13,)]
    try:
        if connection.exec_driver_sql(question).scalar():
            commit_keeping_loaded()
    except Exception:
        # The page has its answer already: whatever went wrong here, it ends as it always did, and
        # the session is still removed after (an escaping error would stop Flask's teardowns).
        log.exception("ending a reading transaction failed; rolled back")
        with contextlib.suppress(Exception):
            session.rollback()


def without_prepared_statements(url: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``SQLALCHEMY_ENGINE_OPTIONS`` whose PostgreSQL connections prepare no statements (psycopg's
    ``prepare_threshold=None``): for a pooler that cannot keep them (PgBouncer in transaction mode
    before 1.21). Unchanged for other databases."""
    merged = dict(options)
    if make_url(url).get_backend_name() == "postgresql":
        merged["connect_args"] = {**(merged.get("connect_args") or {}), "prepare_threshold": None}
    return merged


def init_request_transactions(app: Flask) -> None:
    """After ``db.init_app``: app-context teardowns run last-registered first, so this one ends the
    transaction before Flask-SQLAlchemy removes the session."""
    if db._teardown_session not in app.teardown_appcontext_funcs:
        raise RuntimeError("init_request_transactions(app) comes after db.init_app(app)")
    if not event.contains(Session, "after_begin", _remember_connection):
        event.listen(Session, "after_begin", _remember_connection)
    app.teardown_appcontext(end_reading_transaction)
