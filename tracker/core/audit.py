"""审计日志 (SPEC §4): every change of an actual, a status, a target or a user — who, when, what,
old value, new value. Callers add entries to the session inside their own transaction, so an
audit entry exists exactly when the change it describes was committed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Index, String, Table, Text, insert
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core import bulk
from tracker.extensions import Model, db
from tracker.types import Timestamp, utcnow

__all__ = ["AuditEntry", "record", "record_many", "as_text"]


class AuditEntry(Model):
    """审计日志: who changed what, when, old and new value."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_scope", "department_code", "unit_code", "year", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[Timestamp]
    # Who, as the entry was written (with ``username``); no foreign key: the entry outlives anything
    # done to the user's row, and the key was checked for every entry (2,000 in a 1,000-value save).
    user_id: Mapped[int | None]
    username: Mapped[str] = mapped_column(String(80), default="system")
    action: Mapped[str] = mapped_column(String(40))  # update | submit | approve | return | import | …
    entity: Mapped[str] = mapped_column(String(40))  # indicator_actual | monthly_report | indicator | user
    entity_id: Mapped[int | None]
    field: Mapped[str | None] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    department_code: Mapped[str | None] = mapped_column(String(32))
    unit_code: Mapped[str | None] = mapped_column(String(32))
    year: Mapped[int | None]
    month: Mapped[int | None]


def as_text(value: Any) -> str | None:
    """Values are stored as text so one column serves numbers, grades and statuses."""
    if value is None:
        return None
    # Numeric(24, 6) reads back as 60.000000: the log shows the number as typed (60).
    return format(value.normalize(), "f") if hasattr(value, "as_tuple") else str(value)


def _by(user: Any) -> dict[str, Any]:
    """Who made a change, as every entry of it records."""
    return {
        "at": utcnow(),
        "user_id": getattr(user, "id", None),
        "username": getattr(user, "username", None) or "system",
    }


def _row(by: Mapping[str, Any], action: str, entity: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    get = fields.get
    return {
        **by,
        "action": action,
        "entity": entity,
        "entity_id": get("entity_id"),
        "field": get("field"),
        "old_value": as_text(get("old")),
        "new_value": as_text(get("new")),
        "department_code": get("department_code"),
        "unit_code": get("unit_code"),
        "year": get("year"),
        "month": get("month"),
    }


def record(action: str, entity: str, *, user: Any = None, **fields: Any) -> None:
    """Add one audit entry to the current transaction (no commit)."""
    db.session.execute(insert(AuditEntry), [_row(_by(user), action, entity, fields)])


def record_many(rows: list[dict[str, Any]], *, user: Any = None) -> None:
    """Many entries in one statement (an executemany, or on PostgreSQL a COPY, however many rows):
    each dict has ``action``, ``entity`` and the keyword fields of :func:`record`. They are one
    change, made at one time."""
    # The table, not the ORM entity: an ORM bulk insert batches rows by which values are None,
    # so entries with and without an old value would alternate into a statement each.
    by = _by(user)
    bulk.insert_rows(
        cast(Table, AuditEntry.__table__),
        [_row(by, row["action"], row["entity"], row) for row in rows],
    )
