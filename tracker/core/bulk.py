"""Writing many rows in a fixed number of statements: PostgreSQL's COPY where the database has it
(a save of 1,000 values writes 1,000 actuals and 2,000 audit entries), an executemany elsewhere.

Everything runs on the session's own connection, so inside its transaction: the rows are written
exactly when the change they belong to is committed. COPY passes SQLAlchemy's statement events by;
the statement-count tests run on SQLite as well, where every statement is seen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, update

from tracker.extensions import db

__all__ = ["insert_rows", "update_rows"]


def _copy(cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row[c] for c in columns))


def _postgresql_cursor() -> Any | None:
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return None
    return connection.connection.driver_connection.cursor()  # type: ignore[union-attr]


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table``, in one statement."""
    if not rows:
        return
    cursor = _postgresql_cursor()
    if cursor is None:
        db.session.execute(insert(table), list(rows))
        return
    with cursor:
        _copy(cursor, table.name, list(rows[0]), rows)


def update_rows(table: Table, key: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """UPDATE the rows of ``table`` whose ``key`` column is each row's ``key``, setting its other
    values; on PostgreSQL by COPY into a scratch table and one UPDATE … FROM it."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != key]
    cursor = _postgresql_cursor()
    if cursor is None:
        changes: dict[str, Any] = {c: bindparam(f"new_{c}") for c in columns}
        db.session.execute(
            update(table).where(table.c[key] == bindparam(f"old_{key}")).values(changes),
            [{f"old_{key}": row[key], **{f"new_{c}": row[c] for c in columns}} for row in rows],
        )
        return
    scratch = f"changed_{table.name}"
    listed = ", ".join([key, *columns])
    with cursor:
        # Per connection, emptied at every commit; its columns take the table's own types.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ON COMMIT DELETE ROWS AS "
            f"SELECT {listed} FROM {table.name} WITH NO DATA"
        )
        _copy(cursor, scratch, [key, *columns], rows)
        assignments = ", ".join(f"{c} = {scratch}.{c}" for c in columns)
        cursor.execute(
            f"UPDATE {table.name} SET {assignments} FROM {scratch} WHERE {table.name}.{key} = {scratch}.{key}"
        )
        cursor.execute(f"DELETE FROM {scratch}")  # a second save in the same transaction starts empty
