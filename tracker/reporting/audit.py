"""审计日志 (SPEC §4): every change of an actual, a status, a target or a user — who, when, what,
old value, new value. Callers add entries to the session inside their own transaction, so an
audit entry exists exactly when the change it describes was committed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from tracker.extensions import db
from tracker.reporting.models import AuditEntry
from tracker.types import utcnow

__all__ = ["record", "record_many", "as_text"]


def as_text(value: Any) -> str | None:
    """Values are stored as text so one column serves numbers, grades and statuses."""
    if value is None:
        return None
    # Numeric(24, 6) reads back as 60.000000: the log shows the number as typed (60).
    return format(value.normalize(), "f") if hasattr(value, "as_tuple") else str(value)


def _row(action: str, entity: str, user: Any = None, **fields: Any) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "user_id": getattr(user, "id", None),
        "username": getattr(user, "username", None) or "system",
        "action": action,
        "entity": entity,
        "entity_id": fields.get("entity_id"),
        "field": fields.get("field"),
        "old_value": as_text(fields.get("old")),
        "new_value": as_text(fields.get("new")),
        "department_code": fields.get("department_code"),
        "unit_code": fields.get("unit_code"),
        "year": fields.get("year"),
        "month": fields.get("month"),
    }


def record(action: str, entity: str, *, user: Any = None, **fields: Any) -> None:
    """Add one audit entry to the current transaction (no commit)."""
    db.session.execute(insert(AuditEntry), [_row(action, entity, user, **fields)])


def record_many(rows: list[dict[str, Any]], *, user: Any = None) -> None:
    """Bulk variant for imports: each dict has ``action``, ``entity`` and the keyword fields of
    :func:`record`."""
    if rows:
        db.session.execute(
            insert(AuditEntry),
            [_row(row.pop("action"), row.pop("entity"), user, **row) for row in rows],
        )
