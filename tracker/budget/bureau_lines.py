"""A job's outcome bureau by bureau (issue 15 §5): a province-wide job counts what it did per
department, and this module adds the counts up per 财政局, the department's own (one placed nowhere
counts under the root, SPEC §1a). The scheduler stores the lines with the run, and each finance
user reads only its subtree's.

Counts are plain JSON: an int is summed, a dict of counts summed key by key (``{"lamps": {"red":
3}}``), anything else kept from the first department (the bureau's recipients, say).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from tracker.budget.models import Bureau, Department

__all__ = ["BureauLine", "JobOutcome", "bureau_lines", "add_counts"]


@dataclass
class BureauLine:
    """What a job did for the departments of one bureau (``bureau_id`` None: no tree at all)."""

    bureau_id: int | None
    code: str
    name: str
    departments: int = 0
    rows: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class JobOutcome:
    """What a job returns to the scheduler when it ran for many bureaus: the rows written, the
    line of each bureau, and the ids it made (deliveries, say) for its other callers."""

    rows: int
    lines: list[BureauLine]
    ids: list[int] = field(default_factory=list)


def add_counts(into: dict[str, Any], more: Mapping[str, Any]) -> dict[str, Any]:
    """Add ``more`` into ``into`` (ints summed, dicts key by key, anything else kept if unset)."""
    for key, value in more.items():
        if isinstance(value, bool) or not isinstance(value, int | dict):
            into.setdefault(key, value)
        elif isinstance(value, dict):
            add_counts(into.setdefault(key, {}), value)
        else:
            into[key] = into.get(key, 0) + value
    return into


def bureau_lines(
    conn: Connection,
    counts: Mapping[int, tuple[int, Mapping[str, Any]]],
    extra: Callable[[int | None], Mapping[str, Any]] | None = None,
) -> list[BureauLine]:
    """``counts`` (department id → rows written, counts) added up per bureau, in tree order;
    ``extra(bureau id)`` adds what belongs to the bureau itself (its recipients)."""
    if not counts:
        return []
    bureaus = {
        row.id: row
        for row in conn.execute(
            select(Bureau.id, Bureau.code, Bureau.name, Bureau.path, Bureau.parent_id).order_by(Bureau.id)
        )
    }
    root = next((row.id for row in bureaus.values() if row.parent_id is None), None)
    placed = _placements(conn, counts)
    lines: dict[int | None, BureauLine] = {}
    for department_id, (rows, detail) in counts.items():
        bureau_id = placed.get(department_id) or root
        line = lines.get(bureau_id)
        if line is None:
            known = bureaus.get(bureau_id) if bureau_id is not None else None
            line = lines[bureau_id] = BureauLine(
                bureau_id, known.code if known else "", known.name if known else ""
            )
            if extra is not None:
                add_counts(line.detail, extra(bureau_id))
        line.departments += 1
        line.rows += rows
        add_counts(line.detail, detail)
    order = {bureau_id: row.path for bureau_id, row in bureaus.items()}
    return sorted(lines.values(), key=lambda line: order.get(line.bureau_id, "") if line.bureau_id else "")


def _placements(conn: Connection, counts: Mapping[int, Any]) -> dict[int, int | None]:
    """department id → its bureau id, for the departments counted."""
    query = select(Department.id, Department.bureau_id)
    # A province-wide job names most departments: reading them all beats a list of 2,000 ids.
    if len(counts) <= 500:
        query = query.where(Department.id.in_(list(counts)))
    return {department_id: bureau_id for department_id, bureau_id in conn.execute(query)}
