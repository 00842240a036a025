"""A period's summary over departments, for the 看板 (issue 13 §2): how many departments have a
stored run, the :data:`RANKED` with the most red, then yellow, then unreported indicators and their
lamp counts, the :data:`WORST` worst indicators, and the sums of the runs' tallies (预算执行进度 by
month, 自评 totals by 等级 and band).

The summary of every department is made in the transaction that stores runs of the period
(:func:`refresh`, called by the evaluation service) and kept in ``period_summary``: a province's
dashboard reads one row. The summary of a few departments (a department's own dashboard) is made
when asked, from their runs alone. Either way the reads are a fixed handful of statements.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, delete, func, insert, or_, select, text, true

from tracker.budget.models import Department, Project
from tracker.evaluation.models import (
    MONITORING,
    SELF_ASSESSMENT,
    EvaluationRun,
    IndicatorResult,
    PeriodSummary,
    RunTally,
)
from tracker.evaluation.tallies import LAMP_STATUSES, lamp_name
from tracker.extensions import db
from tracker.types import utcnow

__all__ = ["RANKED", "WORST", "SEVERITY", "WHOLE_DEPARTMENT", "refresh", "summary"]

#: Departments a summary keeps in order (at least the dashboard's table).
RANKED = 20
#: Indicators a summary keeps in order: a few more than the dashboard's ten, whose final order is
#: Python's, and Python's text order may differ from the database's collation among equal rows.
WORST = 30
#: 红灯 before 黄灯 before 未填报 (the dashboard's "worst" order).
SEVERITY = {"red": 0, "yellow": 1, "missing": 2}
WHOLE_DEPARTMENT = "部门整体"


def _among(column: Any, ids: Collection[int] | None) -> ColumnElement[bool]:
    return true() if ids is None else column.in_(list(ids) or [-1])


def _text(value: Any) -> str | None:
    return None if value is None else format(value, "f")


def _departments_with_runs(
    conn: Connection, kind: str, year: int, month: int, ids: Collection[int] | None
) -> int:
    return (
        conn.scalar(
            select(func.count())
            .select_from(EvaluationRun)
            .where(
                EvaluationRun.kind == kind,
                EvaluationRun.year == year,
                EvaluationRun.month == month,
                _among(EvaluationRun.department_id, ids),
            )
        )
        or 0
    )


def _ranked(conn: Connection, year: int, month: int, ids: Collection[int] | None) -> list[dict[str, Any]]:
    sums = [
        func.sum(case((RunTally.name == lamp_name(status), RunTally.value), else_=0)).label(f"lamp{n}")
        for n, status in enumerate(LAMP_STATUSES)
    ]
    _, yellow, red, missing, _ = sums
    query = (
        select(Department.id, Department.code, Department.name, *sums)
        .join(RunTally, RunTally.department_id == Department.id)
        .where(
            RunTally.kind == MONITORING,
            RunTally.year == year,
            RunTally.month == month,
            RunTally.name.like("lamp:%"),
            _among(RunTally.department_id, ids),
        )
        .group_by(Department.id, Department.code, Department.name)
        .order_by(red.desc(), yellow.desc(), missing.desc(), Department.code)
        .limit(RANKED)
    )
    return [
        {
            "id": row[0],
            "code": row[1],
            "name": row[2],
            "lamps": dict(zip(LAMP_STATUSES, map(int, row[3:]), strict=True)),
        }
        for row in conn.execute(query)
    ]


def _worst(conn: Connection, year: int, month: int, ids: Collection[int] | None) -> list[dict[str, Any]]:
    runs = (
        select(EvaluationRun.id, EvaluationRun.department_id)
        .where(
            EvaluationRun.kind == MONITORING,
            EvaluationRun.year == year,
            EvaluationRun.month == month,
            _among(EvaluationRun.department_id, ids),
        )
        .subquery()
    )
    severity = case({status: rank for status, rank in SEVERITY.items()}, value=IndicatorResult.status)
    scope = func.coalesce(Project.name, WHOLE_DEPARTMENT)
    query = (
        select(
            runs.c.department_id,
            Department.name.label("department"),
            scope.label("scope"),
            IndicatorResult.name,
            IndicatorResult.target,
            IndicatorResult.actual,
            IndicatorResult.actual_text,
            IndicatorResult.expected,
            IndicatorResult.ratio,
            IndicatorResult.status,
        )
        .join(runs, runs.c.id == IndicatorResult.run_id)
        .join(Department, Department.id == runs.c.department_id)
        .outerjoin(Project, Project.id == IndicatorResult.project_id)
        .where(IndicatorResult.status.in_(list(SEVERITY)))
        .order_by(
            severity, IndicatorResult.ratio.is_(None), IndicatorResult.ratio, scope, IndicatorResult.name
        )
        .limit(WORST)
    )
    return [
        {
            **row._asdict(),
            "actual": row.actual_text if row.actual_text is not None else _text(row.actual),
            "expected": _text(row.expected),
            "ratio": _text(row.ratio),
        }
        for row in conn.execute(query)
    ]


def _sums(conn: Connection, kind: str, year: int, month: int, ids: Collection[int] | None) -> dict[str, str]:
    names = (
        or_(RunTally.name.like("spent:%"), RunTally.name.like("budget:%"))
        if kind == MONITORING
        else RunTally.name.like("score:%")
    )
    query = (
        select(RunTally.name, func.sum(RunTally.value))
        .where(
            RunTally.kind == kind,
            RunTally.year == year,
            RunTally.month == month,
            names,
            _among(RunTally.department_id, ids),
        )
        .group_by(RunTally.name)
    )
    return {name: format(Decimal(value), "f") for name, value in conn.execute(query)}


def _make(conn: Connection, kind: str, year: int, month: int, ids: Collection[int] | None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "departments": _departments_with_runs(conn, kind, year, month, ids),
        "sums": _sums(conn, kind, year, month, ids),
    }
    if kind == MONITORING:
        document["table"] = _ranked(conn, year, month, ids)
        document["worst"] = _worst(conn, year, month, ids)
    return document


def take_period_lock(conn: Connection, kind: str, year: int, month: int) -> None:
    """On PostgreSQL, a transaction-scoped advisory lock on (kind, year, month): two stores of one
    period (重新计算 clicked in two tabs, a job meeting a click) take turns instead of meeting on
    the unique run key. Taken again by the same transaction it is simply held; SQLite has one writer."""
    if conn.dialect.name == "postgresql":
        key = zlib.crc32(f"period_summary:{kind}:{year}:{month}".encode())
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def refresh(conn: Connection, kind: str, year: int, month: int) -> None:
    """Make and store the summary of every department for (kind, year, month), in the caller's
    transaction. On PostgreSQL a transaction-scoped advisory lock on the period makes two stores of
    it take turns here, so the later one's summary sees the earlier one's committed runs."""
    if kind not in (MONITORING, SELF_ASSESSMENT):
        return
    take_period_lock(conn, kind, year, month)
    document = _make(conn, kind, year, month, None)
    period = (PeriodSummary.kind == kind, PeriodSummary.year == year, PeriodSummary.month == month)
    conn.execute(delete(PeriodSummary).where(*period))
    conn.execute(
        insert(PeriodSummary).values(
            kind=kind, year=year, month=month, created_at=utcnow(), document=document
        )
    )


def summary(kind: str, year: int, month: int, ids: Collection[int] | None) -> dict[str, Any]:
    """The summary of the departments ``ids`` (None: every department — the stored one, made now
    only for a period stored before summaries were)."""
    conn = db.session.connection()
    if ids is None:
        stored = conn.scalar(
            select(PeriodSummary.document).where(
                PeriodSummary.kind == kind, PeriodSummary.year == year, PeriodSummary.month == month
            )
        )
        if stored is not None:
            return stored
    return _make(conn, kind, year, month, ids)
