"""A period's results over many departments at once, for the 看板 (issue 5, issue 13 §2): the
departments with the most red, yellow and unreported indicators, the worst indicators, the
projects' 自评 totals by 等级 and band, and the summed 预算执行进度 by month.

Everything comes from the period's summaries (:mod:`tracker.evaluation.summaries`): a stored row for
every department, or made from the runs of a few. A department without a stored result for the
period is evaluated here, in memory and unstored — a page does not write — as long as there are
few such departments; beyond :data:`LIVE_LIMIT` they are only named, for the scheduled job or /jobs
to evaluate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select, true

from tracker.budget import money
from tracker.budget.models import Department
from tracker.evaluation.inputs import DepartmentRow
from tracker.evaluation.models import MONITORING, SELF_ASSESSMENT, EvaluationRun
from tracker.evaluation.results import DepartmentResult
from tracker.evaluation.service import evaluate_unstored
from tracker.evaluation.summaries import RANKED, SEVERITY, WHOLE_DEPARTMENT, summary
from tracker.evaluation.tallies import LAMP_STATUSES, budget_name, lamp_name, spent_name
from tracker.extensions import db
from tracker.targets.models import Indicator
from tracker.types import as_quantity

__all__ = ["LIVE_LIMIT", "PeriodOverview", "period_overview", "execution_by_month"]

#: At most this many departments without stored results are evaluated for a page.
LIVE_LIMIT = 50


@dataclass
class PeriodOverview:
    #: Departments with indicators in the year (stored or not).
    department_count: int = 0
    #: The table's departments with their lamp counts: the worst ``table_limit`` (most red, then
    #: yellow, then unreported), or all of them by code when there are no more.
    table: list[tuple[DepartmentRow, Counter[str]]] = field(default_factory=list)
    #: Up to ``worst_limit`` rows, worst first: department_id, department (its name), scope (project
    #: name or 部门整体), name, target, actual (number or grade), expected, ratio (fraction), status.
    worst: list[dict[str, Any]] = field(default_factory=list)
    not_evaluated: list[DepartmentRow] = field(default_factory=list)
    not_assessed: list[DepartmentRow] = field(default_factory=list)
    #: (等级, ten-point band d: totals in [10d, 10d + 10)) → projects.
    scores: Counter[tuple[str, int]] = field(default_factory=Counter)
    #: 预算执行率 of all the departments together by month 1…M: Σ 支出 ÷ Σ 全年预算数 over those
    #: whose 全年预算数 is known and not zero.
    progress: list[Decimal | None] = field(default_factory=list)
    #: Every department, when there are at most ``few`` of them (their own progress lines), else empty.
    departments: list[DepartmentRow] = field(default_factory=list)


def _among(column: Any, ids: Collection[int] | None) -> ColumnElement[bool]:
    return true() if ids is None else column.in_(list(ids) or [-1])


def _has_indicators(year: int) -> Any:
    return (
        select(Indicator.id).where(Indicator.department_id == Department.id, Indicator.year == year).exists()
    )


def _departments(year: int, ids: Collection[int] | None) -> list[DepartmentRow]:
    """The departments with indicators in ``year`` among ``ids``, by code."""
    query = select(Department.id, Department.code, Department.name).where(
        _has_indicators(year), _among(Department.id, ids)
    )
    return [DepartmentRow(*row) for row in db.session.execute(query.order_by(Department.code))]


def _has_run(kind: str, year: int, month: int) -> Any:
    return (
        select(EvaluationRun.id)
        .where(
            EvaluationRun.department_id == Department.id,
            EvaluationRun.kind == kind,
            EvaluationRun.year == year,
            EvaluationRun.month == month,
        )
        .exists()
    )


def _unstored(
    year: int, month: int, ids: Collection[int] | None
) -> tuple[list[DepartmentRow], list[DepartmentRow]]:
    """The departments with indicators among ``ids`` without a stored monitoring run of ``month``,
    and those without a stored self-assessment, in one pass over the departments."""
    monitored, assessed = _has_run(MONITORING, year, month), _has_run(SELF_ASSESSMENT, year, 0)
    query = (
        select(Department.id, Department.code, Department.name, monitored, assessed)
        .where(_has_indicators(year), _among(Department.id, ids), ~monitored | ~assessed)
        .order_by(Department.code)
    )
    rows = db.session.execute(query).all()
    return (
        [DepartmentRow(*row[:3]) for row in rows if not row[3]],
        [DepartmentRow(*row[:3]) for row in rows if not row[4]],
    )


def _worst_key(row: dict[str, Any]) -> tuple:
    ratio = row["ratio"]
    return (SEVERITY[row["status"]], ratio is None, ratio or 0, row["scope"], row["name"])


def _table_key(item: tuple[DepartmentRow, Counter[str]]) -> tuple:
    department, counts = item
    return (-counts["red"], -counts["yellow"], -counts["missing"], department.code)


def _live_worst(result: DepartmentResult) -> list[dict[str, Any]]:
    names = {row["project_id"]: row["name"] for row in result.projects}
    return [
        {
            "department_id": result.department.id,
            "department": result.department.name,
            "scope": names.get(item["project_id"], WHOLE_DEPARTMENT),
            "name": item["name"],
            "target": item["target"],
            "actual": item["actual_text"] if item["actual_text"] is not None else as_quantity(item["actual"]),
            "expected": as_quantity(item["expected"]),
            "ratio": as_quantity(item["ratio"]),
            "status": item["status"],
        }
        for item in result.indicators
        if item["status"] in SEVERITY
    ]


def _live(kind: str, year: int, month: int, unstored: list[DepartmentRow]) -> list[DepartmentResult]:
    return evaluate_unstored(kind, year, month, unstored) if len(unstored) <= LIVE_LIMIT else []


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _stored_worst(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "actual": row["actual"] if row["actual_text"] is not None else _decimal(row["actual"]),
            "expected": _decimal(row["expected"]),
            "ratio": _decimal(row["ratio"]),
        }
        for row in rows
    ]


def period_overview(
    year: int,
    month: int,
    ids: Collection[int] | None,
    *,
    table_limit: int,
    few: int,
    worst_limit: int = 10,
) -> PeriodOverview:
    """The 看板's numbers as of ``month`` (SPEC §5, §6, §7) over the departments ``ids`` (None: all)."""
    if table_limit > RANKED:
        raise ValueError(f"a summary ranks {RANKED} departments, not {table_limit}")
    overview = PeriodOverview()
    monitoring = summary(MONITORING, year, month, ids)
    assessment = summary(SELF_ASSESSMENT, year, 0, ids)
    overview.not_evaluated, overview.not_assessed = _unstored(year, month, ids)
    overview.department_count = monitoring["departments"] + len(overview.not_evaluated)
    monitored = _live(MONITORING, year, month, overview.not_evaluated)
    assessed = _live(SELF_ASSESSMENT, year, 0, overview.not_assessed)
    if monitored:
        overview.not_evaluated = []
    if assessed:
        overview.not_assessed = []
    ranked = [
        (DepartmentRow(d["id"], d["code"], d["name"]), Counter(d["lamps"])) for d in monitoring["table"]
    ]
    ranked += [
        (r.department, Counter({s: int(r.tallies.get(lamp_name(s), 0)) for s in LAMP_STATUSES}))
        for r in monitored
    ]
    if overview.department_count <= max(table_limit, few):
        overview.departments = _departments(year, ids)
    if overview.department_count <= table_limit:
        counts = dict(ranked)
        overview.table = [(d, counts.get(d, Counter())) for d in overview.departments]
    else:
        overview.table = sorted(ranked, key=_table_key)[:table_limit]
    if overview.department_count > few:
        overview.departments = []
    candidates = _stored_worst(monitoring["worst"])
    for result in monitored:
        candidates += _live_worst(result)
    overview.worst = sorted(candidates, key=_worst_key)[:worst_limit]
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for name, text in [*monitoring["sums"].items(), *assessment["sums"].items()]:
        sums[name] += Decimal(text)
    for result in [*monitored, *assessed]:
        for name, value in result.tallies.items():
            if not name.startswith("lamp:"):
                sums[name] += value
    for name, value in sums.items():
        if name.startswith("score:"):
            _, grade, band = name.split(":")
            overview.scores[(grade, int(band))] += int(value)
    overview.progress = [
        sums[spent_name(m)] / sums[budget_name(m)] if sums[budget_name(m)] else None
        for m in range(1, month + 1)
    ]
    return overview


def execution_by_month(year: int, month: int, departments: Sequence[Any]) -> dict[int, list[Decimal | None]]:
    """预算执行率 (SPEC §7, as a fraction) of each of a few departments for months 1…``month``, read
    from spending now (the lines of a dashboard over at most a handful of departments)."""
    ids = [d.id for d in departments]
    conn = db.session.connection()
    by_month = money.execution_by_month(conn, year, month, ids) if ids else {}
    lines = money.budget_lines(conn, year, ids) if ids else {}
    rates: dict[int, list[Decimal | None]] = {}
    for department_id in ids:
        series = money.execution_series(by_month.get(department_id, {}), lines.get(department_id, {}), month)
        rates[department_id] = [None if point is None else point[0] / point[1] for point in series]
    return rates
