"""The evaluation jobs: module-level functions with plain arguments, named by text in the registry.

Each writes in the caller's transaction (``commit=False``) and returns what it did: the rows
written, and one line per 财政局 (issue 15 §5) — its departments, rows, the rule packs they were
evaluated with (each its bureau's) and their lamps or grades — which the runner stores with the
run. The runner commits only when the whole job succeeded, so a failing job leaves nothing
half-written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from tracker.budget.bureau_lines import JobOutcome, bureau_lines
from tracker.evaluation import service
from tracker.evaluation.models import EvaluationRun, IndicatorResult, ProjectResult, RunTally
from tracker.evaluation.result_sets import RunSummary
from tracker.extensions import db
from tracker.types import utcnow

__all__ = [
    "monthly_monitoring",
    "midyear_monitoring",
    "annual_self_assessment",
    "execution_metrics",
    "evaluation_outcome",
]


def monthly_monitoring(year: int, month: int) -> JobOutcome:
    """绩效运行监控 of ``month`` for every department of every bureau."""
    started = utcnow()
    summary = service.evaluate_all(service.MONITORING, year, month, commit=False)
    return evaluation_outcome(service.MONITORING, year, month, summary, since=started)


def midyear_monitoring(year: int, month: int = 7) -> JobOutcome:
    """双监控 of January–July, re-run on Aug 10 after late reports and approvals."""
    started = utcnow()
    summary = service.evaluate_all(service.MONITORING, year, month, commit=False)
    return evaluation_outcome(service.MONITORING, year, month, summary, since=started)


def annual_self_assessment(year: int) -> JobOutcome:
    """绩效自评 of ``year`` for every department of every bureau."""
    started = utcnow()
    summary = service.evaluate_all(service.SELF_ASSESSMENT, year, commit=False)
    return evaluation_outcome(service.SELF_ASSESSMENT, year, 0, summary, since=started)


def execution_metrics(year: int, month: int) -> int:
    """SPEC §7 execution-rate metrics of every department as of ``month``."""
    return service.refresh_metrics(year, month, commit=False).rows


def _per_run(model: Any, runs: Any) -> dict[int, int]:
    conn = db.session.connection()
    query = select(model.run_id, func.count()).where(model.run_id.in_(runs)).group_by(model.run_id)
    return {run_id: count for run_id, count in conn.execute(query)}


def evaluation_outcome(
    kind: str, year: int, month: int, summary: RunSummary, *, since: datetime
) -> JobOutcome:
    """The runs of (kind, year, month) this pass wrote (stored ``since`` it began; a department
    the pass did not evaluate keeps an older run, and is not counted), bureau by bureau: rows
    written (run, projects, indicators), rule pack@version, lamps (monitoring) or projects by
    等级 (self-assessment), read from the runs' tallies."""
    conn = db.session.connection()
    period = (
        EvaluationRun.kind == kind,
        EvaluationRun.year == year,
        EvaluationRun.month == month,
        EvaluationRun.created_at >= since,
    )
    runs = conn.execute(
        select(
            EvaluationRun.id, EvaluationRun.department_id, EvaluationRun.rule_pack, EvaluationRun.rule_version
        ).where(*period)
    ).all()
    of_period = select(EvaluationRun.id).where(*period)
    projects, indicators = _per_run(ProjectResult, of_period), _per_run(IndicatorResult, of_period)
    counts: dict[int, tuple[int, dict[str, Any]]] = {}
    run_department = {}
    for run in runs:
        run_department[run.id] = run.department_id
        rows = 1 + projects.get(run.id, 0) + indicators.get(run.id, 0)
        counts[run.department_id] = (rows, {"packs": {f"{run.rule_pack}@{run.rule_version}": 1}})
    tallies = conn.execute(
        select(RunTally.run_id, RunTally.name, RunTally.value).where(
            RunTally.kind == kind,
            RunTally.year == year,
            RunTally.month == month,
            RunTally.name.like("lamp:%") | RunTally.name.like("score:%"),
        )
    )
    for run_id, name, value in tallies:
        department_id = run_department.get(run_id)
        if department_id is None:
            continue
        group, key = ("lamps", name[5:]) if name.startswith("lamp:") else ("grades", name.split(":")[1])
        tally = counts[department_id][1].setdefault(group, {})
        tally[key] = tally.get(key, 0) + int(value)
    return JobOutcome(summary.rows, bureau_lines(conn, counts))
