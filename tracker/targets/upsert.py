"""Bulk upsert on a natural key, the same on SQLite and PostgreSQL: one read of the existing rows,
then one bulk INSERT and one bulk UPDATE by primary key — never a query per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, tuple_, update

from tracker.extensions import db

__all__ = ["UpsertPlan", "plan_upsert", "existing_rows", "apply", "upsert", "ids_by_key"]

_CHUNK = 500


@dataclass
class UpsertPlan:
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    #: (id, field, old, new) of every changed value, for the audit log.
    changes: list[tuple[int, str, Any, Any]] = field(default_factory=list)
    unchanged: int = 0


def existing_rows(
    model: Any, key_columns: Sequence[str], columns: Iterable[str], where: Any
) -> dict[tuple, dict]:
    """Existing rows matching ``where``, keyed by their natural key."""
    wanted = ["id", *key_columns, *[c for c in columns if c not in key_columns]]
    result = db.session.execute(select(*[getattr(model, c) for c in wanted]).where(where))
    return {tuple(row[c] for c in key_columns): dict(row) for row in result.mappings()}


def plan_upsert(
    incoming: Iterable[dict[str, Any]],
    key_columns: Sequence[str],
    existing: dict[tuple, dict],
    compared: Sequence[str],
) -> UpsertPlan:
    plan = UpsertPlan()
    for row in incoming:
        key = tuple(row[c] for c in key_columns)
        current = existing.get(key)
        if current is None:
            plan.inserts.append(row)
            continue
        diff = {c: row[c] for c in compared if c in row and _differs(current.get(c), row[c])}
        if diff:
            plan.updates.append({"id": current["id"], **diff})
            plan.changes.extend((current["id"], c, current.get(c), v) for c, v in diff.items())
        else:
            plan.unchanged += 1
    return plan


def _differs(old: Any, new: Any) -> bool:
    # Numeric(…) columns come back with the column's scale (15.00 vs 15): compare values, not text.
    return old != new


def apply(model: Any, plan: UpsertPlan) -> None:
    for start in range(0, len(plan.inserts), _CHUNK):
        db.session.execute(insert(model), plan.inserts[start : start + _CHUNK])
    if plan.updates:
        db.session.execute(update(model), plan.updates)


def upsert(
    model: Any, incoming: list[dict[str, Any]], key: Sequence[str], compared: Sequence[str], where: Any
) -> tuple[UpsertPlan, dict[tuple, dict]]:
    """Read the rows matching ``where``, insert the new, update the changed; returns the plan and
    the rows as they were (for the audit log)."""
    existing = existing_rows(model, key, compared, where)
    plan = plan_upsert(incoming, key, existing, compared)
    apply(model, plan)
    return plan, existing


def ids_by_key(model: Any, key_columns: Sequence[str], keys: Iterable[tuple]) -> dict[tuple, int]:
    """Primary keys of rows with these natural keys (one query per chunk of keys)."""
    keys = list(set(keys))
    found: dict[tuple, int] = {}
    columns = [getattr(model, c) for c in key_columns]
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        condition = tuple_(*columns).in_(chunk) if len(columns) > 1 else columns[0].in_([k[0] for k in chunk])
        for row in db.session.execute(select(model.id, *columns).where(condition)):
            found[tuple(row[1:])] = row[0]
    return found
