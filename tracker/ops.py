"""What a load balancer and an operator need from the web process: ``/healthz`` (the process answers),
``/readyz`` (its database answers and has every migration this code expects), and a request id on
every request: taken from ``X-Request-ID`` when it is sane, else made, echoed in the response, on
every log record of the request, and in the one access-log line per request (``tracker.request``).

The probes need no login, set no cookie and count towards no rate limit.

A request the database cut short — a statement or lock timeout, a deadlock (SQLite: "database is
locked") — answers 503 with ``Retry-After`` and a Chinese message saying nothing was written (JSON
on /api), not a 500 (issue 12 §10)."""

from __future__ import annotations

import functools
import logging
import re
import time
import uuid

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, current_app, g, has_request_context, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from tracker.core.database import is_busy
from tracker.core.log_ids import LogIdFilter, current_log_id
from tracker.core.log_ids import configure_logging as configure_process_logging
from tracker.extensions import db, limiter

log = logging.getLogger("tracker.ops")
access_log = logging.getLogger("tracker.request")
bp = Blueprint("ops", __name__)
PLAIN = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
PROBES = frozenset({"/healthz", "/readyz"})
#: Seconds a client is asked to wait before it tries a request the database was too busy for.
BUSY_RETRY_AFTER = 5

REQUEST_ID_HEADER = "X-Request-ID"
#: An incoming id is kept when it is this: no spaces, line breaks or quotes to forge a log line with.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
_ID_KEY = "tracker.request_id"
_STARTED_KEY = "tracker.request_started"
#: Where tracker.api.core keeps the bearer token's (user, token, error) of a request.
_API_AUTH_KEY = "tracker.api_auth"


@functools.cache
def code_heads(directory: str) -> frozenset[str]:
    """The head revisions of the migrations shipped with this code (read once: they do not change
    while the process runs)."""
    return frozenset(ScriptDirectory(directory).get_heads())


def readiness() -> str | None:
    """Why this process should not be sent requests, or ``None`` when it may."""
    try:
        with db.engine.connect() as connection:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        log.warning("readyz: database unreachable: %s", exc)
        return f"database unreachable ({type(exc).__name__})"
    expected = code_heads(current_app.extensions["migrate"].directory)
    if current != expected:
        log.warning("readyz: database at %s, code at %s", sorted(current), sorted(expected))
        at = ", ".join(sorted(current)) or "no revision"
        return f"database not migrated to head: at {at}, code expects {', '.join(sorted(expected))}"
    return None


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is up and answers; nothing else is looked at (no database)."""
    return "ok\n", 200, PLAIN


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    problem = readiness()
    if problem:
        return f"not ready: {problem}\n", 503, PLAIN
    return "ready\n", 200, PLAIN


# ---------------------------------------------------------------- request ids and the access log


def request_id() -> str | None:
    """This request's id (None outside a request)."""
    if not has_request_context():
        return None
    return request.environ.get(_ID_KEY)


class RequestIdFilter(LogIdFilter):
    """Puts ``request_id`` on a record: the id of the request it was logged in, else the id bound for
    the work outside a request (``tracker.core.log_ids``), ``-`` outside both. Never drops a record."""

    def current(self) -> str | None:
        return request_id() or current_log_id()


def _begin() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    sane = SANE_REQUEST_ID.fullmatch(incoming) is not None
    request.environ[_ID_KEY] = incoming if sane else uuid.uuid4().hex
    request.environ[_STARTED_KEY] = time.perf_counter()


def _user_id() -> int | None:
    """The user this request was served for, if it was looked at (no query made for it here)."""
    user = g.get("_login_user")  # Flask-Login's, once the request asked for current_user
    if user is None:
        api = request.environ.get(_API_AUTH_KEY)
        user = api[0] if api else None
    # By identity: after a commit the user's attributes are expired, and reading them would query.
    state = inspect(user, raiseerr=False) if user is not None else None
    return state.identity[0] if state is not None and state.identity else None


def _printable(text: str) -> str:
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _finish(response):  # type: ignore[no-untyped-def]
    rid = request.environ.get(_ID_KEY) or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = rid
    started = request.environ.get(_STARTED_KEY)
    ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    user_id = _user_id()
    access_log.log(
        logging.DEBUG if request.path in PROBES else logging.INFO,
        "%s %s %s %.1fms user=%s request_id=%s",
        _printable(request.method),
        _printable(request.path),
        response.status_code,
        ms,
        user_id if user_id is not None else "-",
        rid,
        extra={
            "http_method": request.method,
            "http_path": request.path,
            "http_status": response.status_code,
            "duration_ms": round(ms, 1),
            "user_id": user_id,
        },
    )
    return response


# ---------------------------------------------------------------- the database too busy: 503


def _database_busy(error: OperationalError):  # type: ignore[no-untyped-def]
    if not is_busy(error):
        raise error
    db.session.rollback()  # the transaction is void: nothing of this request is written
    log.warning("database busy (%s): %s %s", str(error.orig).splitlines()[0], request.method, request.path)
    message = gettext(
        "数据库正忙（所需的数据正被其他操作占用，或查询超时），本次请求未执行，也没有写入任何内容。"
        "请约 %(seconds)s 秒后重试。",
        seconds=BUSY_RETRY_AFTER,
    )
    headers = {"Retry-After": str(BUSY_RETRY_AFTER), "Cache-Control": "no-store"}
    if request.path.startswith("/api/"):
        return {"code": 503, "status": "database_busy", "message": message}, 503, headers
    try:
        return render_template("home/error.html", code=503, message=message), 503, headers
    except SQLAlchemyError:  # the page itself needed what is locked
        db.session.rollback()
        return message + "\n", 503, {**headers, **PLAIN}


_logging_configured = False


def configure_logging(app: Flask) -> None:
    """Once per process: the request-id filter on the root logger's handlers; where nothing else
    configured logging (gunicorn configures only its own loggers), one handler to stderr with the id
    in each line, and the ``tracker`` loggers at LOG_LEVEL (INFO: logins, the access log)."""
    global _logging_configured
    if _logging_configured or app.testing:
        return
    _logging_configured = True
    configure_process_logging(str(app.config.get("LOG_LEVEL") or "INFO"), RequestIdFilter)


def init_web(app: Flask) -> None:
    """Called before the other web extensions, so that the request id exists before CSRF, rate limits
    or login answer a request, and its access line is written after everyone else's hooks."""
    configure_logging(app)
    app.before_request(_begin)
    app.after_request(_finish)
    app.register_error_handler(OperationalError, _database_busy)
    limiter.exempt(bp)
    app.register_blueprint(bp)
