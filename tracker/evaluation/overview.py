"""Many departments' results at once, for the 看板 (issue 5) at province scale: lamp counts, the worst
indicators, the projects' self-assessment scores and 预算执行进度 by month.

Everything is read set-based from the stored result sets (one grouped query each, never one per
department). A department without a stored result for the period is evaluated here, in memory and
unstored — a page does not write — as long as there are few such departments; beyond
:data:`LIVE_LIMIT` they are only named, for the scheduled job or /jobs to evaluate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Subquery, case, func, select

from tracker import rules
from tracker.budget import money
from tracker.budget.models import Project, SpendingEntry
from tracker.evaluation.models import (
    MONITORING,
    SELF_ASSESSMENT,
    EvaluationRun,
    IndicatorResult,
    ProjectResult,
)
from tracker.evaluation.service import evaluate_unstored
from tracker.extensions import db
from tracker.types import as_quantity

__all__ = ["LIVE_LIMIT", "MonitoringOverview", "monitoring_overview", "project_scores", "execution_by_month"]

#: At most this many departments without stored results are evaluated for a page.
LIVE_LIMIT = 50
#: 红灯 before 黄灯 before 未填报 (the dashboard's "worst" order).
SEVERITY = {"red": 0, "yellow": 1, "missing": 2}
WHOLE_DEPARTMENT = "部门整体"


@dataclass
class MonitoringOverview:
    counts: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    #: Up to ``limit`` rows, worst first: department_id, scope (project name or 部门整体), name,
    #: target, actual (number or grade), expected, ratio (fraction), status.
    worst: list[dict[str, Any]] = field(default_factory=list)
    not_evaluated: list[Any] = field(default_factory=list)


def _stored_runs(kind: str, year: int, month: int, departments: Sequence[Any]) -> Subquery:
    return (
        select(EvaluationRun.id, EvaluationRun.department_id)
        .where(
            EvaluationRun.kind == kind,
            EvaluationRun.year == year,
            EvaluationRun.month == month,
            EvaluationRun.department_id.in_([d.id for d in departments]),
        )
        .subquery()
    )


def _split(
    kind: str, year: int, month: int, departments: Sequence[Any]
) -> tuple[list[Any], list[Any], list[Any]]:
    """(stored, evaluate now, too many to evaluate now) among ``departments``."""
    runs = _stored_runs(kind, year, month, departments)
    stored_ids = set(db.session.scalars(select(runs.c.department_id)))
    missing = [d for d in departments if d.id not in stored_ids]
    live, left = (missing, []) if len(missing) <= LIVE_LIMIT else ([], missing)
    return [d for d in departments if d.id in stored_ids], live, left


def _worst_key(row: dict[str, Any]) -> tuple:
    ratio = row["ratio"]
    return (SEVERITY[row["status"]], ratio is None, ratio or 0, row["scope"], row["name"])


def monitoring_overview(
    year: int, month: int, departments: Sequence[Any], limit: int = 10
) -> MonitoringOverview:
    """Lamp counts by department and the ``limit`` worst indicators as of ``month`` (SPEC §5)."""
    overview = MonitoringOverview()
    if not departments:
        return overview
    stored, live, overview.not_evaluated = _split(MONITORING, year, month, departments)
    candidates: list[dict[str, Any]] = []
    if stored:
        runs = _stored_runs(MONITORING, year, month, stored)
        counted = (
            select(runs.c.department_id, IndicatorResult.status, func.count())
            .join(runs, runs.c.id == IndicatorResult.run_id)
            .group_by(runs.c.department_id, IndicatorResult.status)
        )
        for department_id, status, count in db.session.execute(counted):
            overview.counts[department_id][status or "n/a"] += count
        severity = case({status: rank for status, rank in SEVERITY.items()}, value=IndicatorResult.status)
        scope = func.coalesce(Project.name, WHOLE_DEPARTMENT)
        worst = (
            select(
                runs.c.department_id,
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
            .outerjoin(Project, Project.id == IndicatorResult.project_id)
            .where(IndicatorResult.status.in_(list(SEVERITY)))
            .order_by(
                severity, IndicatorResult.ratio.is_(None), IndicatorResult.ratio, scope, IndicatorResult.name
            )
            # A few more than shown: the final order is Python's, whose text order may differ from the
            # database's collation among equally bad rows.
            .limit(limit * 3)
        )
        candidates += [
            {**row._asdict(), "actual": row.actual_text if row.actual_text is not None else row.actual}
            for row in db.session.execute(worst)
        ]
    for result in evaluate_unstored(MONITORING, year, month, live):
        names = {row["project_id"]: row["name"] for row in result.projects}
        for item in result.indicators:
            status = item["status"] or "n/a"
            overview.counts[result.department.id][status] += 1
            if status in SEVERITY:
                candidates.append(
                    {
                        "department_id": result.department.id,
                        "scope": names.get(item["project_id"], WHOLE_DEPARTMENT),
                        "name": item["name"],
                        "target": item["target"],
                        "actual": item["actual_text"]
                        if item["actual_text"] is not None
                        else as_quantity(item["actual"]),
                        "expected": as_quantity(item["expected"]),
                        "ratio": as_quantity(item["ratio"]),
                        "status": status,
                    }
                )
    overview.worst = sorted(candidates, key=_worst_key)[:limit]
    return overview


def project_scores(
    year: int, departments: Sequence[Any]
) -> tuple[list[tuple[int, str, Decimal, str]], list[Any]]:
    """Each project's 自评 total and grade (SPEC §6) — (department id, project name, total, grade) —
    and the departments left unevaluated."""
    if not departments:
        return [], []
    stored, live, left = _split(SELF_ASSESSMENT, year, 0, departments)
    scores: list[tuple[int, str, Decimal, str]] = []
    if stored:
        runs = _stored_runs(SELF_ASSESSMENT, year, 0, stored)
        rows = (
            select(
                runs.c.department_id,
                ProjectResult.name,
                ProjectResult.code,
                ProjectResult.total,
                ProjectResult.grade,
            )
            .join(runs, runs.c.id == ProjectResult.run_id)
            .where(ProjectResult.total.is_not(None))
        )
        scores += [
            (d, name or code, Decimal(total), grade or "")
            for d, name, code, total, grade in db.session.execute(rows)
        ]
    for result in evaluate_unstored(SELF_ASSESSMENT, year, 0, live):
        for row in result.projects:
            total = as_quantity(None if row.get("total") is None else Decimal(row["total"]))
            if total is not None:
                scores.append(
                    (result.department.id, row["name"] or row["code"], total, row.get("grade") or "")
                )
    return scores, left


def execution_by_month(
    year: int, month: int, departments: Sequence[Any]
) -> dict[int | None, list[Decimal | None]]:
    """预算执行率 (SPEC §7, as a fraction) for months 1…``month``: per department id, and under ``None``
    for all of them together (Σ 支出 ÷ Σ 全年预算数 over the departments with a 部门预算总额)."""
    ids = [d.id for d in departments]
    by_month: dict[int, dict[int, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    if ids:
        sums = (
            select(
                SpendingEntry.department_id,
                SpendingEntry.month,
                SpendingEntry.category,
                func.sum(SpendingEntry.amount),
            )
            .where(
                SpendingEntry.year == year,
                SpendingEntry.month <= month,
                SpendingEntry.department_id.in_(ids),
                SpendingEntry.category.in_(("支出", "预算调整")),
            )
            .group_by(SpendingEntry.department_id, SpendingEntry.month, SpendingEntry.category)
        )
        for department_id, m, category, amount in db.session.execute(sums):
            by_month[department_id][m][category] = Decimal(amount)
    lines = money.budget_lines(db.session.connection(), year, ids) if ids else {}
    rates: dict[int | None, list[Decimal | None]] = {}
    province: list[Decimal | None] = []
    # Year to date, keyed as money.department_money reads spending: (项目编码, 类别).
    running: dict[int, dict[tuple[str, str], Decimal]] = {i: defaultdict(Decimal) for i in ids}
    for m in range(1, month + 1):
        spent_total, budget_total = Decimal(0), Decimal(0)
        for department_id in ids:
            spending = running[department_id]
            for category, amount in by_month[department_id].get(m, {}).items():
                spending[("", category)] += amount
            totals = money.department_money(spending, lines.get(department_id, {}))
            rates.setdefault(department_id, []).append(rules.department_metrics(totals, m)["预算执行率"])
            budget = rules.adjusted_budget(totals.initial_total, totals.adjustments)
            if budget:
                spent_total += totals.spending
                budget_total += budget
        province.append(spent_total / budget_total if budget_total else None)
    rates[None] = province
    return rates
