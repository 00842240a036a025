"""Evaluation services: run monitoring / self-assessment for one department or all of them, store
the result sets (replacing earlier ones in the same transaction), read stored results back, and
the reviewer's overrides of a self-assessment.

Callers (commands, scheduled jobs, pages, API) use these functions; with ``commit=False`` the
caller owns the transaction (the scheduler commits only when a whole job succeeded).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from flask import current_app
from flask_babel import gettext
from sqlalchemy import Connection, Table, delete, insert, select, text

from tracker import rules
from tracker.auth import access
from tracker.budget import money
from tracker.budget.models import Department
from tracker.core import audit
from tracker.core.settings import current_rule_pack
from tracker.evaluation import engine
from tracker.evaluation import parallel as _parallel
from tracker.evaluation.bulk import bulk_insert, collector_paused, copy_from_text, copy_text
from tracker.evaluation.documents import monitoring_document, self_assessment_document
from tracker.evaluation.inputs import DepartmentRow, Inputs, load_inputs
from tracker.evaluation.models import EvaluationRun, IndicatorResult, ProjectResult, ReviewerOverride
from tracker.evaluation.monitoring import evaluate_monitoring
from tracker.evaluation.results import DepartmentResult
from tracker.evaluation.self_assessment import evaluate_self_assessment
from tracker.extensions import db
from tracker.rules.grammar import Comparator
from tracker.rules.packs import RulePack
from tracker.targets.models import Indicator
from tracker.types import utcnow

__all__ = [
    "MONITORING",
    "SELF_ASSESSMENT",
    "METRICS",
    "AmbiguousDepartment",
    "RunSummary",
    "current_rule_pack",
    "run_monitoring",
    "run_self_assessment",
    "evaluate_all",
    "refresh_metrics",
    "stored_monitoring",
    "stored_self_assessment",
    "department_metrics",
    "set_override",
]

MONITORING, SELF_ASSESSMENT, METRICS = "monitoring", "self_assessment", "metrics"
#: Departments per bulk read: bounds memory at province scale (≈ 200 × 200 indicators).
CHUNK = 200


class AmbiguousDepartment(ValueError):
    """The year has several departments and none was named (SPEC §9: ``--department``)."""


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


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _one_department(conn: Connection, year: int, department_code: str | None) -> DepartmentRow:
    departments = engine.departments_for(conn, year, [department_code] if department_code else None)
    if not departments:
        raise LookupError(f"{year} 年没有部门 {department_code or ''} 的绩效指标")
    if len(departments) > 1:
        raise AmbiguousDepartment(f"{year} 年有 {len(departments)} 个部门，请用 --department 指定")
    return departments[0]


def _period_month(kind: str, month: int | None) -> int:
    return 0 if kind == SELF_ASSESSMENT else int(month or 0)


def _delete_runs(conn: Connection, kind: str, year: int, month: int, department_ids: list[int]) -> None:
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
        conn.execute(delete(IndicatorResult).where(IndicatorResult.run_id.in_(old_ids)))
        conn.execute(delete(ProjectResult).where(ProjectResult.run_id.in_(old_ids)))
        conn.execute(delete(EvaluationRun).where(EvaluationRun.id.in_(old_ids)))


def _run_row(
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


def _result_rows(
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


def _store(
    conn: Connection, kind: str, year: int, month: int, results: list[DepartmentResult], pack: RulePack
) -> RunSummary:
    """Replace the result sets of these departments for (kind, year, month)."""
    _delete_runs(conn, kind, year, month, [r.department.id for r in results])
    if not results:
        return RunSummary(0, 0, 0)
    now = utcnow()
    created = conn.execute(
        insert(EvaluationRun).returning(
            EvaluationRun.id, EvaluationRun.department_id, sort_by_parameter_order=True
        ),
        [_run_row(kind, year, month, pack, r, now) for r in results],
    )
    run_ids = {row.department_id: row.id for row in created}
    projects, indicators = _result_rows(results, [run_ids[r.department.id] for r in results])
    bulk_insert(conn, cast(Table, ProjectResult.__table__), projects)
    bulk_insert(conn, cast(Table, IndicatorResult.__table__), indicators)
    return RunSummary(len(results), len(projects), len(indicators))


def _run_dict(
    department: DepartmentRow, kind: str, year: int, month: int, pack: RulePack, summary: dict[str, Any]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "year": year,
        "month": month,
        "department_code": department.code,
        "department_name": department.name,
        "rule_pack": pack.name,
        "rule_version": pack.version,
        "summary": summary,
    }


def _load(conn: Connection, kind: str, year: int, month: int, departments: Sequence[DepartmentRow]) -> Inputs:
    if kind == SELF_ASSESSMENT:
        return load_inputs(conn, year, 12, list(departments), with_overrides=True)
    return load_inputs(conn, year, month, list(departments))


def _compute(kind: str, inputs: Inputs, pack: RulePack) -> list[DepartmentResult]:
    if kind == SELF_ASSESSMENT:
        return list(evaluate_self_assessment(inputs, pack))
    if kind == METRICS:
        return [_metrics_only(r) for r in evaluate_monitoring(inputs, pack)]
    return list(evaluate_monitoring(inputs, pack))


def _evaluate(
    conn: Connection, kind: str, year: int, month: int, departments: Sequence[DepartmentRow], pack: RulePack
) -> list[DepartmentResult]:
    return _compute(kind, _load(conn, kind, year, month, departments), pack)


def evaluate_unstored(
    kind: str, year: int, month: int, departments: Sequence[DepartmentRow]
) -> list[DepartmentResult]:
    """Evaluate ``departments`` (rows of :func:`~tracker.evaluation.inputs.departments_for`) in memory, storing nothing:
    what a page shows for a period no job has evaluated yet."""
    if not departments:
        return []
    if kind == MONITORING:
        rules.time_progress(month)
    return _evaluate(db.session.connection(), kind, year, month, departments, current_rule_pack())


def _metrics_only(result: DepartmentResult) -> DepartmentResult:
    return DepartmentResult(
        result.department,
        [],
        [],
        {"metrics": result.summary["metrics"], "time_progress": result.summary["time_progress"]},
    )


def _run_one(
    kind: str, year: int, month: int, department_code: str | None, commit: bool, store: bool = True
) -> dict:
    pack = current_rule_pack()
    conn = db.session.connection()
    department = _one_department(conn, year, department_code)
    try:
        (result,) = _evaluate(conn, kind, year, month, [department], pack)
        if store:
            _store(conn, kind, year, month, [result], pack)
        if commit:
            db.session.commit()
    except BaseException:
        if commit:
            db.session.rollback()
        raise
    run = _run_dict(department, kind, year, month, pack, result.summary)
    build = self_assessment_document if kind == SELF_ASSESSMENT else monitoring_document
    return build(run, result.projects, result.indicators)


def run_monitoring(
    year: int, month: int, department_code: str | None = None, *, commit: bool = True, store: bool = True
) -> dict:
    """绩效运行监控 of one department as of ``month`` (SPEC §5): store it (replacing an earlier
    run) and return the SPEC §9 document, with an ``explain`` per project and indicator."""
    rules.time_progress(month)
    return _run_one(MONITORING, year, month, department_code, commit, store)


def run_self_assessment(
    year: int, department_code: str | None = None, *, commit: bool = True, store: bool = True
) -> dict:
    """绩效自评 of one department for ``year`` (SPEC §6): store it and return the SPEC §9 document."""
    return _run_one(SELF_ASSESSMENT, year, 0, department_code, commit, store)


def evaluate_all(
    kind: str,
    year: int,
    month: int | None = None,
    *,
    department_codes: Sequence[str] | None = None,
    commit: bool = True,
    chunk: int = CHUNK,
    parallel: bool | None = None,
) -> RunSummary:
    """Evaluate every department of ``year`` (or those named) and store the result sets, chunk by
    chunk, all in one transaction: a failure leaves the earlier results untouched.

    ``parallel`` (default: on PostgreSQL with more than one chunk, unless the setting
    ``EVALUATION_PARALLEL`` is false) computes each chunk in a forked child while this process
    reads the next chunk and writes the previous one; the stored results are the same."""
    pack = current_rule_pack()
    period = _period_month(kind, month)
    if kind != SELF_ASSESSMENT:
        rules.time_progress(period)
    try:
        with collector_paused():
            total = _evaluate_and_store(kind, year, period, pack, department_codes, chunk, parallel)
        if commit:
            db.session.commit()
    except BaseException:
        if commit:
            db.session.rollback()
        raise
    return total


def _evaluate_and_store(
    kind: str,
    year: int,
    period: int,
    pack: RulePack,
    department_codes: Sequence[str] | None,
    chunk: int,
    parallel: bool | None,
) -> RunSummary:
    """The chunks of :func:`evaluate_all`, in forked children or here; the caller commits."""
    conn = db.session.connection()
    departments = engine.departments_for(conn, year, department_codes)
    parts = list(_chunks(departments, chunk))
    if parallel is None:
        parallel = (
            conn.dialect.name == "postgresql"
            and len(parts) > 1
            and bool(current_app.config.get("EVALUATION_PARALLEL", True))
        )
    if parallel and _parallel.available():
        return _evaluate_in_children(conn, kind, year, period, parts, pack)
    total = RunSummary(0, 0, 0)
    for part in parts:
        total = total + _store(
            conn, kind, year, period, _evaluate(conn, kind, year, period, part, pack), pack
        )
    return total


def _new_run_ids(conn: Connection, count: int) -> list[int]:
    sequence = "pg_get_serial_sequence('evaluation_run', 'id')"
    return list(conn.scalars(text(f"SELECT nextval({sequence}) FROM generate_series(1, :n)"), {"n": count}))


def _copy_texts(
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
        {"id": run_id, **_run_row(kind, year, month, pack, r, now)}
        for r, run_id in zip(results, run_ids, strict=True)
    ]
    projects, indicators = _result_rows(results, run_ids)
    texts = []
    for model, rows in ((EvaluationRun, runs), (ProjectResult, projects), (IndicatorResult, indicators)):
        table = cast(Table, model.__table__)
        if rows:
            names = [c.name for c in table.c if c.name in rows[0]]
            texts.append((table.name, names, copy_text(table, rows, names)))
    return RunSummary(len(runs), len(projects), len(indicators)), texts


def _evaluate_in_children(
    conn: Connection, kind: str, year: int, month: int, parts: list[Sequence[DepartmentRow]], pack: RulePack
) -> RunSummary:
    """:func:`evaluate_all` with each chunk computed in a forked child (tracker.evaluation.parallel).
    On PostgreSQL the child also makes the ``COPY`` text, with run ids drawn here beforehand."""
    copy = conn.dialect.name == "postgresql"
    total = RunSummary(0, 0, 0)

    def load(part: Sequence[DepartmentRow]) -> tuple[Inputs, list[int] | None]:
        return _load(conn, kind, year, month, part), (_new_run_ids(conn, len(part)) if copy else None)

    def compute(loaded: tuple[Inputs, list[int] | None]) -> Any:
        inputs, run_ids = loaded
        results = _compute(kind, inputs, pack)
        if run_ids is None:
            return results
        return _copy_texts(kind, year, month, pack, results, run_ids)

    def consume(part: Sequence[DepartmentRow], computed: Any) -> None:
        nonlocal total
        if not copy:
            total = total + _store(conn, kind, year, month, computed, pack)
            return
        done, texts = computed
        _delete_runs(conn, kind, year, month, [d.id for d in part])
        tables = db.metadata.tables
        for name, names, data in texts:
            copy_from_text(conn, tables[name], names, data)
        total = total + done

    _parallel.pipeline(parts, load, compute, consume)
    return total


def refresh_metrics(
    year: int, month: int, *, department_codes: Sequence[str] | None = None, commit: bool = True
) -> RunSummary:
    """Store the SPEC §7 metrics of every department as of ``month`` (the daily job)."""
    return evaluate_all(METRICS, year, month, department_codes=department_codes, commit=commit)


def _stored(kind: str, year: int, month: int, department_code: str) -> dict | None:
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


def stored_monitoring(year: int, month: int, department_code: str) -> dict | None:
    """The stored monitoring document of a department and month, or None if never run."""
    return _stored(MONITORING, year, month, department_code)


def stored_self_assessment(year: int, department_code: str) -> dict | None:
    """The stored self-assessment document of a department and year, or None if never run."""
    return _stored(SELF_ASSESSMENT, year, 0, department_code)


def department_metrics(year: int, month: int, department_code: str) -> dict[str, Decimal | None]:
    """SPEC §7 metrics of a department as of ``month``, as fractions (0.612 = 61.2 %); 结转结余率 is
    None before December, a metric without its budget line is None."""
    conn = db.session.connection()
    department = _one_department(conn, year, department_code)
    return rules.department_metrics(money.department_money_through(conn, year, month, department.id), month)


class OverrideRejected(ValueError):
    """A reviewer's override outside the rules (e.g. a percent outside the grade's band)."""


def set_override(
    user,
    indicator_id: int,
    *,
    qualitative_percent: Decimal | None,
    overachieved: bool | None,
    note: str | None,
    grade: str | None = None,
) -> ReviewerOverride:
    """审核意见 on one indicator's self-assessment (SPEC §6). ``grade`` is the indicator's reported
    grade, against whose band ``qualitative_percent`` is checked. Department admins of the
    indicator's department and finance may set it; takes effect at the next evaluation run."""
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None or not access.can_read_department(user, indicator.department_id):
        raise access.NotFound(f"indicator {indicator_id}")
    if not (access.can_manage_department(user, indicator.department_id) or access.is_finance(user)):
        raise access.Forbidden("review self-assessment")
    if qualitative_percent is not None:
        if indicator.comparator != Comparator.QUALITATIVE:
            raise OverrideRejected(gettext("只有定性指标可以设定档内百分比"))
        band = current_rule_pack().band(grade) if grade else None
        if band is None or not band.contains(qualitative_percent):
            raise OverrideRejected(gettext("百分比必须在该等级的档次之内"))
    override = db.session.scalar(
        select(ReviewerOverride).where(ReviewerOverride.indicator_id == indicator_id)
    )
    if override is None:
        override = ReviewerOverride(indicator_id=indicator_id)
        db.session.add(override)
    changes = {
        "qualitative_percent": qualitative_percent,
        "overachieved": overachieved,
        "note": (note or "").strip() or None,
    }
    department = db.session.get(Department, indicator.department_id)
    for name, new in changes.items():
        old = getattr(override, name)
        if old != new:
            audit.record(
                "review",
                "reviewer_override",
                user=user,
                entity_id=indicator_id,
                field=name,
                old=old,
                new=new,
                department_code=department.code if department else None,
                year=indicator.year,
            )
        setattr(override, name, new)
    override.user_id = getattr(user, "id", None)
    override.updated_at = utcnow()
    db.session.commit()
    return override


# ---------------------------------------------------------------- pages (access checked here)


def readable_departments(user, year: int) -> list[Any]:
    """(id, code, name) of the departments of ``year`` whose 部门整体 results ``user`` may read."""
    if user is None or getattr(user, "role", None) == "reporter":
        return []
    visible = access.visible_department_ids(user)
    departments = engine.departments_for(db.session.connection(), year)
    return [d for d in departments if visible is None or d.id in visible]


def _require_readable(user, department_code: str) -> Department:
    if getattr(user, "role", None) == "reporter":
        raise access.Forbidden("evaluation results")
    department = access.require_department(user, department_code)
    if not access.can_read_department_whole(user, department.id):
        raise access.NotFound(department_code)
    return department


def can_run(user, department: Department) -> bool:
    """Run an evaluation or review a self-assessment: the department's admin or finance."""
    return access.can_manage_department(user, department.id) or access.is_finance(user)


def view_monitoring(user, year: int, month: int, department_code: str) -> tuple[dict, bool]:
    """The monitoring document for the page: the stored one, else computed now without storing.
    Returns (document, stored)."""
    _require_readable(user, department_code)
    stored = stored_monitoring(year, month, department_code)
    if stored is not None:
        return stored, True
    return run_monitoring(year, month, department_code, commit=False, store=False), False


def view_self_assessment(user, year: int, department_code: str) -> tuple[dict, bool]:
    """The self-assessment document for the page (stored, else computed now without storing)."""
    _require_readable(user, department_code)
    stored = stored_self_assessment(year, department_code)
    if stored is not None:
        return stored, True
    return run_self_assessment(year, department_code, commit=False, store=False), False


def rerun(user, kind: str, year: int, month: int | None, department_code: str) -> dict:
    """重新计算 from a page: the department's admin or finance."""
    department = _require_readable(user, department_code)
    if not can_run(user, department):
        raise access.Forbidden("run evaluation")
    if kind == SELF_ASSESSMENT:
        return run_self_assessment(year, department_code)
    return run_monitoring(year, month or 0, department_code)


def override_for(indicator_ids: Sequence[int]) -> dict[int, ReviewerOverride]:
    rows = db.session.scalars(
        select(ReviewerOverride).where(ReviewerOverride.indicator_id.in_(list(indicator_ids)))
    )
    return {row.indicator_id: row for row in rows}
