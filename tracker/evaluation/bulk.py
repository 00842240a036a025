"""Bulk insert of result rows: PostgreSQL ``COPY`` (an order of magnitude faster than INSERTs at
province scale), SQLAlchemy Core ``executemany`` elsewhere. Both run on the caller's connection,
inside its transaction."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Connection, Table, insert

__all__ = ["bulk_insert"]

_BATCH = 5000


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts keyed by column name) into ``table``; returns the number inserted."""
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, rows)
    for start in range(0, len(rows), _BATCH):
        conn.execute(insert(table), rows[start : start + _BATCH])
    return len(rows)


def _copy(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    # Columns of the first row: callers pass rows of one shape (missing keys are NULL).
    columns = [c for c in table.c if c.name in rows[0]]
    names = [c.name for c in columns]
    is_json = [isinstance(c.type, JSON) for c in columns]
    quoted = ", ".join(f'"{name}"' for name in names)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:  # type: ignore[attr-defined]
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[name], ensure_ascii=False)
                    if js and row.get(name) is not None
                    else row.get(name)
                    for name, js in zip(names, is_json, strict=True)
                ]
            )
    return len(rows)
