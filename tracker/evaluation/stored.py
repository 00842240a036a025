"""Stored evaluation results read back as the SPEC §9 documents (exactly as they printed when
computed), and who may read them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tracker.auth import access
from tracker.budget.models import Department
from tracker.evaluation.documents import monitoring_document, self_assessment_document
from tracker.evaluation.inputs import DepartmentRow, departments_for
from tracker.evaluation.models import (
    MONITORING,
    SELF_ASSESSMENT,
    EvaluationRun,
    IndicatorResult,
    ProjectResult,
)
from tracker.extensions import db

__all__ = [
    "can_run",
    "readable_departments",
    "require_readable",
    "requested_department",
    "stored_monitoring",
    "stored_self_assessment",
]


def _stored(kind: str, year: int, month: int, department_code: str) -> dict[str, Any] | None:
    conn = db.session.connection()
    row = db.session.execute(
        select(EvaluationRun, Department.code, Department.name)
        .join(Department, Department.id == EvaluationRun.department_id)
        .where(
            EvaluationRun.kind == kind,
            EvaluationRun.year == year,
            EvaluationRun.month == month,
            Department.code == department_code,
        )
    ).first()
    if row is None:
        return None
    run_row: EvaluationRun = row[0]
    run = {
        "kind": kind,
        "year": year,
        "month": month,
        "department_code": row.code,
        "department_name": row.name,
        "rule_pack": run_row.rule_pack,
        "rule_version": run_row.rule_version,
        "summary": run_row.summary,
        "created_at": run_row.created_at,
    }
    project_columns = [c for c in ProjectResult.__table__.c if c.name not in ("id", "run_id")]
    indicator_columns = [c for c in IndicatorResult.__table__.c if c.name not in ("id", "run_id")]
    projects = [
        dict(r._mapping)
        for r in conn.execute(
            select(*project_columns).where(ProjectResult.run_id == run_row.id).order_by(ProjectResult.id)
        )
    ]
    indicators = [
        dict(r._mapping)
        for r in conn.execute(select(*indicator_columns).where(IndicatorResult.run_id == run_row.id))
    ]
    build = self_assessment_document if kind == SELF_ASSESSMENT else monitoring_document
    document = build(run, projects, indicators)
    document["evaluated_at"] = run_row.created_at.isoformat() if run_row.created_at else None
    return document


def stored_monitoring(year: int, month: int, department_code: str) -> dict[str, Any] | None:
    """The stored monitoring document of a department and month, or None if never run."""
    return _stored(MONITORING, year, month, department_code)


def stored_self_assessment(year: int, department_code: str) -> dict[str, Any] | None:
    """The stored self-assessment document of a department and year, or None if never run."""
    return _stored(SELF_ASSESSMENT, year, 0, department_code)


def readable_departments(user: Any, year: int) -> list[DepartmentRow]:
    """(id, code, name) of the departments of ``year`` whose 部门整体 results ``user`` may read."""
    if user is None or not access.can_read_evaluations(user):
        return []
    visible = access.visible_department_ids(user)
    departments = departments_for(db.session.connection(), year)
    return [d for d in departments if visible is None or d.id in visible]


def require_readable(user: Any, department_code: str) -> Department:
    """The department whose results ``user`` asks for: 404 for a foreign one, 403 for a reporter."""
    if not access.can_read_evaluations(user):
        raise access.Forbidden("evaluation results")
    department = access.require_department(user, department_code)
    if not access.can_read_department_whole(user, department.id):
        raise access.NotFound(department_code)
    return department


def can_run(user: Any, department: Department) -> bool:
    """Run an evaluation or review a self-assessment: the department's admin or finance."""
    return access.can_run_evaluation(user, department.id)


def requested_department(user: Any, code: str | None) -> str | None:
    """The department whose results a request asks for: the one named (checked: a foreign one, or
    one the user does not read as a whole, is NotFound), else the only one the user reads as a
    whole, else None for a user who reads them all (the evaluation service picks the year's only
    department, or refuses)."""
    if code:
        department = access.require_department(user, code)
        if not access.can_read_department_whole(user, department.id):
            raise access.NotFound(f"department {code}")
        return department.code
    visible = access.whole_department_ids(user)
    if visible is None:
        return None
    if not visible:
        raise access.NotFound("evaluation")
    codes = list(db.session.scalars(select(Department.code).where(Department.id.in_(visible))))
    if len(codes) != 1:
        raise access.NotFound("evaluation")
    return codes[0]
