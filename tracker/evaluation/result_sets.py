"""A department's result set as it is stored: its ``evaluation_run`` row, its project and indicator
rows stamped with the run id, their deletion by run id, and the ``COPY`` text of a chunk of them
(PostgreSQL). The service writes them (:func:`tracker.evaluation.service.evaluate_all`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, select, text

from tracker.evaluation.bulk import copy_text
from tracker.evaluation.models import EvaluationRun, IndicatorResult, ProjectResult, RunTally
from tracker.evaluation.results import DepartmentResult
from tracker.evaluation.tallies import tally_rows
from tracker.rules.packs import RulePack
from tracker.types import utcnow

__all__ = ["RunSummary", "copy_texts", "delete_runs", "new_run_ids", "result_rows", "run_row"]


@dataclass(frozen=True)
class RunSummary:
    departments: int
    projects: int
    indicators: int

    @property
    def rows(self) -> int:
        return self.departments + self.projects + self.indicators

    def __add__(self, other: RunSummary) -> RunSummary:
        return RunSummary(
            self.departments + other.departments,
            self.projects + other.projects,
            self.indicators + other.indicators,
        )


def delete_runs(conn: Connection, kind: str, year: int, month: int, department_ids: list[int]) -> None:
    """Delete these departments' result sets for (kind, year, month): their rows by run id in bulk
    (result rows have no foreign key to cascade through), then the runs."""
    old = select(EvaluationRun.id).where(
        EvaluationRun.kind == kind,
        EvaluationRun.year == year,
        EvaluationRun.month == month,
        EvaluationRun.department_id.in_(department_ids),
    )
    old_ids = list(conn.scalars(old))
    if old_ids:
        conn.execute(delete(RunTally).where(RunTally.run_id.in_(old_ids)))
        conn.execute(delete(IndicatorResult).where(IndicatorResult.run_id.in_(old_ids)))
        conn.execute(delete(ProjectResult).where(ProjectResult.run_id.in_(old_ids)))
        conn.execute(delete(EvaluationRun).where(EvaluationRun.id.in_(old_ids)))


def run_row(
    kind: str, year: int, month: int, pack: RulePack, result: DepartmentResult, now: datetime
) -> dict[str, Any]:
    """The ``evaluation_run`` row of a department's result set."""
    return {
        "kind": kind,
        "department_id": result.department.id,
        "year": year,
        "month": month,
        "rule_pack": pack.name,
        "rule_version": pack.version,
        "created_at": now,
        "summary": result.summary,
    }


def result_rows(
    results: list[DepartmentResult], run_ids: list[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every project and indicator row of ``results``, each stamped with its department's run id."""
    projects: list[dict[str, Any]] = []
    indicators: list[dict[str, Any]] = []
    for result, run_id in zip(results, run_ids, strict=True):
        for row in result.projects:
            row["run_id"] = run_id
        for row in result.indicators:
            row["run_id"] = run_id
        projects += result.projects
        indicators += result.indicators
    return projects, indicators


def new_run_ids(conn: Connection, count: int) -> list[int]:
    """``count`` ids of ``evaluation_run`` drawn from its sequence beforehand (PostgreSQL)."""
    sequence = "pg_get_serial_sequence('evaluation_run', 'id')"
    return list(conn.scalars(text(f"SELECT nextval({sequence}) FROM generate_series(1, :n)"), {"n": count}))


def copy_texts(
    kind: str,
    year: int,
    month: int,
    pack: RulePack,
    results: list[DepartmentResult],
    run_ids: list[int],
) -> tuple[RunSummary, list[tuple[str, list[str], str]]]:
    """A chunk's result sets as ``COPY`` text (PostgreSQL), with the run ids given."""
    now = utcnow()
    runs = [
        {"id": run_id, **run_row(kind, year, month, pack, r, now)}
        for r, run_id in zip(results, run_ids, strict=True)
    ]
    projects, indicators = result_rows(results, run_ids)
    tallies = tally_rows(kind, year, month, results, run_ids)
    texts = []
    tables = (
        (EvaluationRun, runs),
        (ProjectResult, projects),
        (IndicatorResult, indicators),
        (RunTally, tallies),
    )
    for model, rows in tables:
        table = cast(Table, model.__table__)
        if rows:
            names = [c.name for c in table.c if c.name in rows[0]]
            texts.append((table.name, names, copy_text(table, rows, names)))
    return RunSummary(len(runs), len(projects), len(indicators)), texts
