"""What a load balancer and an operator need from the web process: ``/healthz`` (the process answers),
``/readyz`` (its database answers and has every migration this code expects).

Neither needs a login, sets a cookie or counts towards a rate limit."""

from __future__ import annotations

import functools
import logging

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from tracker.extensions import db, limiter

log = logging.getLogger("tracker.ops")
bp = Blueprint("ops", __name__)
PLAIN = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


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
def healthz():
    """The process is up and answers; nothing else is looked at (no database)."""
    return "ok\n", 200, PLAIN


@bp.get("/readyz")
def readyz():
    problem = readiness()
    if problem:
        return f"not ready: {problem}\n", 503, PLAIN
    return "ready\n", 200, PLAIN


def init_web(app: Flask) -> None:
    limiter.exempt(bp)
    app.register_blueprint(bp)
