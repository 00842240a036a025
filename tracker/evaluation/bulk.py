"""Bulk insert of result rows: PostgreSQL ``COPY`` (an order of magnitude faster than INSERTs at
province scale), SQLAlchemy Core ``executemany`` elsewhere. Both run on the caller's connection,
inside its transaction.

On PostgreSQL the rows are turned into ``COPY`` text here, in one pass per table with a converter
chosen once per column, rather than value by value in the driver: at 400,000 rows the per-value
adaptation was a third of the write. The text can also be made in another process
(:func:`copy_text`) and only streamed by the one holding the transaction (:func:`copy_from_text`).

A bulk pass runs with CPython's cyclic collector paused (:func:`collector_paused`).
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Table, insert

__all__ = ["bulk_insert", "collector_paused", "copy_text", "copy_from_text"]

_BATCH = 5000
_NULL = "\\N"
_SPECIAL = re.compile(r"[\\\t\n\r]")
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk pass. Such a pass allocates hundreds of
    thousands of rows, tuples and strings, none of them in reference cycles, and each time the
    collector's counts trip it walks the whole growing heap again: a fifth of a province-wide run.
    Memory is still freed as references drop; only cycles wait until the pass ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _escape(text: str) -> str:
    """A text field of ``COPY … FROM STDIN`` (text format): backslash, tab and line ends escaped."""
    if _SPECIAL.search(text) is None:
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _json(value: Any) -> str:
    return _escape(_encode_json(value))


def _boolean(value: Any) -> str:
    return "t" if value else "f"


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _escape(value)
    if isinstance(value, bool):
        return _boolean(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)  # int, Decimal (numeric accepts its exponent form too)


def _shared_json() -> Callable[[Any], str]:
    # Rows often share one explanation object (the engine computes an explanation once per distinct
    # target and report); encode each object once. Keyed by identity: the rows keep every object
    # alive for the whole call, so an id cannot be reused meanwhile.
    encoded: dict[int, str] = {}

    def convert(value: Any) -> str:
        text = encoded.get(id(value))
        if text is None:
            text = encoded[id(value)] = _json(value)
        return text

    return convert


def _converter(column: Any) -> Callable[[Any], str]:
    if isinstance(column.type, JSON):
        return _shared_json()
    if isinstance(column.type, Boolean):
        return _boolean
    return _scalar


def copy_text(table: Table, rows: Sequence[dict[str, Any]], names: Sequence[str]) -> str:
    """``rows`` as the text of ``COPY table (names) FROM STDIN``; every row must have every name."""
    if not rows:
        return ""
    converters = [_converter(table.c[name]) for name in names]
    getter = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    null = _NULL
    lines = [
        "\t".join(
            [null if v is None else convert(v) for convert, v in zip(converters, getter(row), strict=True)]
        )
        for row in rows
    ]
    lines.append("")
    return "\n".join(lines)


def copy_from_text(conn: Connection, table: Table, names: Sequence[str], data: str | bytes) -> None:
    """Stream ``COPY`` text made by :func:`copy_text` into ``table`` on the caller's transaction."""
    if not data:
        return
    quoted = ", ".join(f'"{name}"' for name in names)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:  # type: ignore[attr-defined]
        view = memoryview(data.encode() if isinstance(data, str) else data)
        for start in range(0, len(view), 1 << 20):
            copy.write(view[start : start + (1 << 20)])


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
    names = [c.name for c in table.c if c.name in rows[0]]
    for start in range(0, len(rows), 50_000):
        part = rows[start : start + 50_000]
        try:
            data = copy_text(table, part, names)
        except KeyError:
            data = copy_text(table, [{name: row.get(name) for name in names} for row in part], names)
        copy_from_text(conn, table, names, data)
    return len(rows)
