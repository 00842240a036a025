"""Evaluation services: run monitoring / self-assessment for one department or all of them, and
store the result sets (replacing earlier ones in the same transaction). Stored results are read
back in :mod:`tracker.evaluation.stored`, the reviewer's overrides set in
:mod:`tracker.evaluation.overrides`; both are re-exported here for the callers outside the package.

Callers (commands, scheduled jobs, pages, API) use these functions; with ``commit=False`` the
caller owns the transaction (the scheduler commits only when a whole job succeeded).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, cast

from flask import current_app
from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DBAPIError

from tracker import rules
from tracker.auth import access
from tracker.budget import money
from tracker.budget.packs import department_rule_packs
from tracker.core.database import is_busy
from tracker.evaluation import engine, summaries
from tracker.evaluation import parallel as _parallel
from tracker.evaluation.bulk import bulk_insert, collector_paused, copy_from_text
from tracker.evaluation.documents import monitoring_document, self_assessment_document
from tracker.evaluation.inputs import DepartmentRow, Inputs, departments_for, load_inputs
from tracker.evaluation.models import (
    METRICS,
    MONITORING,
    SELF_ASSESSMENT,
    EvaluationRun,
    IndicatorResult,
    ProjectResult,
    RunTally,
)
from tracker.evaluation.monitoring import evaluate_monitoring
from tracker.evaluation.overrides import OverrideRejected, override_for, set_override
from tracker.evaluation.result_sets import (
    RunSummary,
    copy_texts,
    delete_runs,
    new_run_ids,
    result_rows,
    run_row,
)
from tracker.evaluation.results import DepartmentResult
from tracker.evaluation.self_assessment import evaluate_self_assessment
from tracker.evaluation.stored import (
    can_run,
    readable_departments,
    require_readable,
    stored_monitoring,
    stored_self_assessment,
)
from tracker.evaluation.tallies import tally_rows
from tracker.extensions import db
from tracker.rules.packs import RulePack
from tracker.types import utcnow

log = logging.getLogger("tracker.evaluation")
#: How often 重新计算 is tried when SQLite says another writer holds the file.
BUSY_ATTEMPTS = 5

__all__ = [
    "MONITORING",
    "SELF_ASSESSMENT",
    "METRICS",
    "AmbiguousDepartment",
    "OverrideRejected",
    "RunSummary",
    "can_run",
    "department_metrics",
    "evaluate_all",
    "evaluate_unstored",
    "override_for",
    "readable_departments",
    "refresh_metrics",
    "rerun",
    "run_monitoring",
    "run_self_assessment",
    "set_override",
    "stored_monitoring",
    "stored_self_assessment",
    "view_monitoring",
    "view_self_assessment",
]

#: Departments per bulk read: bounds memory at province scale (≈ 200 × 200 indicators).
CHUNK = 200


class AmbiguousDepartment(ValueError):
    """The year has several departments and none was named (SPEC §9: ``--department``)."""


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _one_department(conn: Connection, year: int, department_code: str | None) -> DepartmentRow:
    departments = departments_for(conn, year, [department_code] if department_code else None)
    if not departments:
        raise LookupError(f"{year} 年没有部门 {department_code or ''} 的绩效指标")
    if len(departments) > 1:
        raise AmbiguousDepartment(f"{year} 年有 {len(departments)} 个部门，请用 --department 指定")
    return departments[0]


def _by_pack(
    conn: Connection, departments: Sequence[DepartmentRow]
) -> list[tuple[RulePack, list[DepartmentRow]]]:
    """``departments`` grouped by the pack each is evaluated with (its bureau's, SPEC §6a), in the
    order the packs first appear; one group when every bureau follows the same pack."""
    pack_of = department_rule_packs(conn, [d.id for d in departments])
    groups: dict[str, tuple[RulePack, list[DepartmentRow]]] = {}
    for department in departments:
        pack = pack_of[department.id]
        groups.setdefault(pack.label, (pack, []))[1].append(department)
    return list(groups.values())


def _period_month(kind: str, month: int | None) -> int:
    return 0 if kind == SELF_ASSESSMENT else int(month or 0)


def _store(
    conn: Connection, kind: str, year: int, month: int, results: list[DepartmentResult], pack: RulePack
) -> RunSummary:
    """Replace the result sets of these departments for (kind, year, month)."""
    summaries.take_period_lock(conn, kind, year, month)
    delete_runs(conn, kind, year, month, [r.department.id for r in results])
    if not results:
        return RunSummary(0, 0, 0)
    now = utcnow()
    created = conn.execute(
        insert(EvaluationRun).returning(
            EvaluationRun.id, EvaluationRun.department_id, sort_by_parameter_order=True
        ),
        [run_row(kind, year, month, pack, r, now) for r in results],
    )
    run_ids = {row.department_id: row.id for row in created}
    ordered = [run_ids[r.department.id] for r in results]
    projects, indicators = result_rows(results, ordered)
    bulk_insert(conn, cast(Table, ProjectResult.__table__), projects)
    bulk_insert(conn, cast(Table, IndicatorResult.__table__), indicators)
    bulk_insert(conn, cast(Table, RunTally.__table__), tally_rows(kind, year, month, results, ordered))
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
    return load_inputs(conn, year, month, list(departments), with_execution=kind == MONITORING)


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
    conn = db.session.connection()
    results: dict[int, DepartmentResult] = {}
    for pack, group in _by_pack(conn, departments):
        results.update((r.department.id, r) for r in _evaluate(conn, kind, year, month, group, pack))
    return [results[d.id] for d in departments if d.id in results]


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
    conn = db.session.connection()
    department = _one_department(conn, year, department_code)
    pack = department_rule_packs(conn, [department.id])[department.id]
    try:
        (result,) = _evaluate(conn, kind, year, month, [department], pack)
        if store:
            _store(conn, kind, year, month, [result], pack)
            summaries.refresh(conn, kind, year, month)
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
    reads the next chunk and writes the previous one; the stored results are the same. Each
    department is evaluated with its bureau's rule pack (chunks never mix packs)."""
    period = _period_month(kind, month)
    if kind != SELF_ASSESSMENT:
        rules.time_progress(period)
    try:
        with collector_paused():
            total = _evaluate_and_store(kind, year, period, department_codes, chunk, parallel)
        summaries.refresh(db.session.connection(), kind, year, period)
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
    department_codes: Sequence[str] | None,
    chunk: int,
    parallel: bool | None,
) -> RunSummary:
    """The chunks of :func:`evaluate_all`, in forked children or here; the caller commits."""
    conn = db.session.connection()
    # Through the engine module, where tests replace it.
    departments = engine.departments_for(conn, year, department_codes)
    parts = [(pack, part) for pack, group in _by_pack(conn, departments) for part in _chunks(group, chunk)]
    if parallel is None:
        parallel = (
            conn.dialect.name == "postgresql"
            and len(parts) > 1
            and bool(current_app.config.get("EVALUATION_PARALLEL", True))
        )
    if parallel and _parallel.available():
        return _evaluate_in_children(conn, kind, year, period, parts)
    total = RunSummary(0, 0, 0)
    for pack, part in parts:
        total = total + _store(
            conn, kind, year, period, _evaluate(conn, kind, year, period, part, pack), pack
        )
    return total


def _evaluate_in_children(
    conn: Connection, kind: str, year: int, month: int, parts: list[tuple[RulePack, Sequence[DepartmentRow]]]
) -> RunSummary:
    """:func:`evaluate_all` with each chunk computed in a forked child (tracker.evaluation.parallel).
    On PostgreSQL the child also makes the ``COPY`` text, with run ids drawn here beforehand."""
    copy = conn.dialect.name == "postgresql"
    total = RunSummary(0, 0, 0)

    def load(packed: tuple[RulePack, Sequence[DepartmentRow]]) -> tuple[RulePack, Inputs, list[int] | None]:
        pack, part = packed
        return pack, _load(conn, kind, year, month, part), (new_run_ids(conn, len(part)) if copy else None)

    def compute(loaded: tuple[RulePack, Inputs, list[int] | None]) -> Any:
        pack, inputs, run_ids = loaded
        results = _compute(kind, inputs, pack)
        if run_ids is None:
            return results
        return copy_texts(kind, year, month, pack, results, run_ids)

    def consume(packed: tuple[RulePack, Sequence[DepartmentRow]], computed: Any) -> None:
        nonlocal total
        pack, part = packed
        if not copy:
            total = total + _store(conn, kind, year, month, computed, pack)
            return
        done, texts = computed
        delete_runs(conn, kind, year, month, [d.id for d in part])
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


def department_metrics(year: int, month: int, department_code: str) -> dict[str, Decimal | None]:
    """SPEC §7 metrics of a department as of ``month``, as fractions (0.612 = 61.2 %); 结转结余率 is
    None before December, a metric without its budget line is None."""
    conn = db.session.connection()
    department = _one_department(conn, year, department_code)
    return rules.department_metrics(money.department_money_through(conn, year, month, department.id), month)


# ---------------------------------------------------------------- pages (access checked here)


def view_monitoring(user: Any, year: int, month: int, department_code: str) -> tuple[dict[str, Any], bool]:
    """The monitoring document for the page: the stored one, else computed now without storing.
    Returns (document, stored)."""
    require_readable(user, department_code)
    stored = stored_monitoring(year, month, department_code)
    if stored is not None:
        return stored, True
    return run_monitoring(year, month, department_code, commit=False, store=False), False


def view_self_assessment(user: Any, year: int, department_code: str) -> tuple[dict[str, Any], bool]:
    """The self-assessment document for the page (stored, else computed now without storing)."""
    require_readable(user, department_code)
    stored = stored_self_assessment(year, department_code)
    if stored is not None:
        return stored, True
    return run_self_assessment(year, department_code, commit=False, store=False), False


def rerun(user: Any, kind: str, year: int, month: int | None, department_code: str) -> dict[str, Any]:
    """重新计算 from a page: the department's admin or finance.

    SQLite has one writer: a click meeting another's store of the same database is told the file is
    busy, and is run again (a re-run replaces the result whole); PostgreSQL's stores take turns on
    the period's lock instead."""
    for attempt in range(1, BUSY_ATTEMPTS + 1):
        department = require_readable(user, department_code)
        if not can_run(user, department):
            raise access.Forbidden("run evaluation")
        try:
            if kind == SELF_ASSESSMENT:
                return run_self_assessment(year, department_code)
            return run_monitoring(year, month or 0, department_code)
        except DBAPIError as exc:
            if not is_busy(exc) or attempt == BUSY_ATTEMPTS:
                raise
            log.info("re-run of %s %s busy, attempt %s", kind, department_code, attempt)
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")
