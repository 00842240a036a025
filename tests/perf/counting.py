"""Counting the SQL statements a request (or a call) sends, with SQLAlchemy's
``before_cursor_execute`` event: an ``executemany`` is one statement, as it is one round trip."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

__all__ = ["counted"]


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """The statements sent on ``engine`` inside the block (each one's SQL on one line)."""
    sql: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        sql.append(" ".join(statement.split())[:200])

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sql
    finally:
        event.remove(engine, "before_cursor_execute", seen)
